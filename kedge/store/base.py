"""What every part of the store shares: the engine, one transaction per public call, the clock,
and the mapping between ``kedge.model`` keys/identities and table columns.

Each public method of the store runs in its own session and transaction (``_read`` or
``_write``): it commits as a whole or leaves nothing behind, and one ``Store`` can be used from
many threads at once because no session outlives its call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from kedge.model import Identity, KedgeError, ResourceKey
from kedge.store import database

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

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._failures(), Session(self._engine) as session, session.begin():
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._failures(), Session(self._writer) as session, session.begin():
            yield session

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
