"""``Store``: the one object the engine, the CLI and the controller use to keep state.

    store = Store.open(".kedge/state.db")      # or "postgresql://kedge@db/kedge"
    store.mark_interrupted_runs()
    ...
    store.close()

Opening migrates the schema to the version this Kedge ships (cheap when already there). The
methods come from one class per concern (``inventory``, ``intents``, ``history``, ``apps``,
``events``, ``tokens``, ``audit``, ``leases``, ``membership``, ``operations``, ``notify``); a new kind
of state is a new model in ``tables``, a new numbered revision in ``migrations/versions`` and a
new class mixed in here.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import text

from kedge.model import KedgeError
from kedge.store import database, migrate
from kedge.store.apps import AppStore
from kedge.store.audit import AuditStore
from kedge.store.base import Clock
from kedge.store.events import EventStore
from kedge.store.history import HistoryStore
from kedge.store.intents import IntentStore
from kedge.store.inventory import InventoryStore
from kedge.store.leases import LeaseStore
from kedge.store.membership import MembershipStore
from kedge.store.notify import NotifyStore
from kedge.store.operations import OperationStore
from kedge.store.serving import ServingStore
from kedge.store.tokens import TokenStore


class Store(
    InventoryStore,
    IntentStore,
    HistoryStore,
    AppStore,
    EventStore,
    TokenStore,
    AuditStore,
    LeaseStore,
    MembershipStore,
    OperationStore,
    NotifyStore,
    ServingStore,
):
    @classmethod
    def open(cls, url: str, *, clock: Clock | None = None) -> Store:
        """Open (and create or migrate) the state database at ``url``.

        ``url`` is a file path, ``sqlite:///PATH`` or ``postgresql://...``; ``clock`` returns
        the aware UTC time stamped on new records (tests pass a fixed one).
        Raises ``ConfigError`` when the URL is wrong or the database cannot be reached.
        """
        engine = database.create(database.parse_url(url))
        try:
            migrate.ensure_head(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock)

    def ping(self) -> bool:
        """Whether the database answers a query now (what ``/readyz`` asks)."""
        try:
            with self._read() as session:
                session.execute(text("SELECT 1"))
        except KedgeError:
            return False
        return True

    def close(self) -> None:
        """Release every connection; the store cannot be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"
