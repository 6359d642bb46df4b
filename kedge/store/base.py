"""What every part of the store shares: the engine, one transaction per public call, the clock,
and the mapping between ``kedge.model`` keys/identities and table columns.

Each public method of the store runs in its own session and transaction (``_read`` or
``_write``): it commits as a whole or leaves nothing behind, and one ``Store`` can be used from
many threads at once because no session outlives its call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, func, literal, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from kedge.model import Identity, KedgeError, ResourceKey
from kedge.store import database
from kedge.store.tables import LeaseRow, UTCDateTime

T = TypeVar("T")
Clock = Callable[[], datetime]
# Rows per statement for IN lists: well under SQLite's 32,766 bound parameters.
CHUNK = 500


class StoreError(KedgeError):
    """The state database failed (connection lost, disk full, locked for too long).

    ``temporary`` errors are worth retrying; the message never contains the password.
    """

    def __init__(self, message: str, *, temporary: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary


class FencedError(StoreError):
    """A write made under a lease this replica no longer holds: another replica took the app
    over (a higher generation) or the lease ran out. Nothing of the refused write was kept."""


@dataclass(frozen=True)
class Lease:
    """An app lease as taken: ``generation`` is the fencing token of this holding."""

    name: str
    holder: str
    generation: int
    expires_at: datetime


# The lease whose generation every write of this thread (or task) is checked against.
CURRENT_FENCE: ContextVar[Lease | None] = ContextVar("kedge_store_fence", default=None)


class StoreBase:
    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{database.BEGIN_MODE: "IMMEDIATE"})
        self._clock: Clock = clock or (lambda: datetime.now(UTC))

    @property
    def url(self) -> str:
        """The database URL without its password."""
        return database.safe_url(self._engine.url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def _now(self) -> datetime:
        return self._at(None)

    def now(self) -> datetime:
        """The store's clock (aware UTC): what it stamps records and judges expiry with."""
        return self._at(None)

    def _at(self, when: datetime | None) -> datetime:
        """``when`` (or the clock's now) in UTC; a naive datetime is refused, not guessed at."""
        value = self._clock() if when is None else when
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the state store: use aware UTC")
        return value.astimezone(UTC)

    def _db_now(self) -> ColumnElement[datetime]:
        """The database's clock on PostgreSQL (one clock for every replica); the store's own
        clock on SQLite, where only one process serves a database file."""
        if self.dialect == "postgresql":
            return func.now().cast(UTCDateTime())
        return literal(self._now(), UTCDateTime())

    def _db_after(self, seconds: float) -> ColumnElement[datetime]:
        """``seconds`` after ``_db_now()``."""
        if self.dialect == "postgresql":
            return (func.now() + timedelta(seconds=seconds)).cast(UTCDateTime())
        return literal(self._now() + timedelta(seconds=seconds), UTCDateTime())

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._failures(), Session(self._engine) as session, session.begin():
            yield session

    @contextmanager
    def _write(self, *, fenced: bool = True) -> Iterator[Session]:
        """A write transaction; checked against this thread's lease unless ``fenced`` is False
        (the lease and membership bookkeeping, which carry their own conditions)."""
        with self._failures(), Session(self._writer) as session, session.begin():
            if fenced:
                self._check_fence(session)
            yield session

    @staticmethod
    def _fenced() -> bool:
        return CURRENT_FENCE.get() is not None

    def _check_fence(self, bind: Session | Connection) -> None:
        """Refuse the transaction unless this thread's lease (if any) is still held with its
        generation. On PostgreSQL the lease row is share-locked until the transaction ends, so a
        takeover waits for the write instead of slipping in between check and commit."""
        lease = CURRENT_FENCE.get()
        if lease is None:
            return
        statement = select(LeaseRow.generation).where(
            LeaseRow.name == lease.name,
            LeaseRow.holder == lease.holder,
            LeaseRow.generation == lease.generation,
            LeaseRow.expires_at > self._db_now(),
        )
        if self.dialect == "postgresql":
            statement = statement.with_for_update(read=True)
        if bind.execute(statement).first() is None:
            raise FencedError(
                f"lease {lease.name} generation {lease.generation} is no longer held by "
                f"{lease.holder}: another replica took it over or it expired; the write was refused"
            )

    @contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise  # a broken constraint: the caller turns it into a ConflictError or LookupError
        except DBAPIError as exc:
            raise StoreError(
                f"state database {self.url} failed: {database.describe(exc, self._engine.url)}",
                temporary=exc.connection_invalidated or _is_transient(exc),
            ) from None


def _is_transient(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(s in text for s in ("locked", "busy", "timeout", "connection", "deadlock", "serializ"))


class HasKeyColumns(Protocol):
    api_version: str
    kind: str
    name: str


class HasIdentityColumns(Protocol):
    provider: str
    provider_config: str
    identity_kind: str
    external_id: str


def key_columns(key: ResourceKey) -> dict[str, Any]:
    return {"api_version": key.api_version, "kind": key.kind, "name": key.name}


def identity_columns(identity: Identity) -> dict[str, Any]:
    return {
        "provider": identity.provider,
        "provider_config": identity.provider_config,
        "identity_kind": identity.kind,
        "external_id": identity.external_id,
    }


def row_key(row: HasKeyColumns) -> ResourceKey:
    return ResourceKey(row.api_version, row.kind, row.name)


def row_identity(row: HasIdentityColumns) -> Identity:
    return Identity(row.provider, row.provider_config, row.identity_kind, row.external_id)


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
