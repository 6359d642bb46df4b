"""The state store's tables, as SQLAlchemy models.

These classes describe the schema that the Alembic revisions in ``migrations/versions`` build;
a test compares the two, so a new table is a new model here plus a new revision there. They are
the store's private representation: callers see ``kedge.model`` types and the records of
``kedge.store.records``, never these rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

# Explicit constraint names: Alembic needs them to alter or drop a constraint later, and SQLite
# otherwise leaves them anonymous.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(constraint_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON everywhere, JSONB on PostgreSQL (indexable, compact, no duplicate keys).
JSON_DOCUMENT: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
# 64-bit where the row count may grow without bound; SQLite's INTEGER is already 64-bit, and only
# INTEGER PRIMARY KEY is the fast rowid.
BIG_ID: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite keeps no zone, so values are stored as naive UTC and given ``UTC`` back on the way
    out; PostgreSQL's ``timestamptz`` returns them in the session zone, converted here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the state store; use UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON_DOCUMENT,
        list[dict[str, Any]]: JSON_DOCUMENT,
    }


class _KeyAndIdentity:
    """The columns that name a resource in an app (key) and the object it stands for (identity)."""

    app: Mapped[str] = mapped_column(String)
    api_version: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    provider: Mapped[str] = mapped_column(String)
    provider_config: Mapped[str] = mapped_column(String)
    identity_kind: Mapped[str] = mapped_column(String)
    external_id: Mapped[str] = mapped_column(String)


class InventoryRow(_KeyAndIdentity, Base):
    """Which app owns which real-world identity, with the last applied (raw) spec."""

    __tablename__ = "inventory"
    __table_args__ = (
        UniqueConstraint("app", "api_version", "kind", "name", name="key"),
        # external_id first: it is the most selective column for the owner look-ups.
        UniqueConstraint("external_id", "identity_kind", "provider_config", "provider", name="identity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    spec: Mapped[dict[str, Any]]
    outputs: Mapped[dict[str, Any]]
    annotations: Mapped[dict[str, Any]]
    labels: Mapped[dict[str, Any]]
    adopted: Mapped[bool]
    updated_at: Mapped[datetime]


class IntentRow(_KeyAndIdentity, Base):
    """A create about to be attempted: written before the provider call, cleared after."""

    __tablename__ = "intents"
    # AUTOINCREMENT: SQLite would otherwise hand a cleared intent's id to the next one.
    __table_args__ = (Index(None, "app"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    spec: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class RunRow(Base):
    """One apply or sync of one app."""

    __tablename__ = "runs"
    __table_args__ = (Index(None, "app", "started_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    app: Mapped[str] = mapped_column(String)
    revision: Mapped[str | None] = mapped_column(String)
    trigger: Mapped[str] = mapped_column(String)
    actor: Mapped[str] = mapped_column(String)
    result: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any] | None]
    message: Mapped[str | None] = mapped_column(Text)


class RunResultRow(Base):
    """The outcome of one change inside a run."""

    __tablename__ = "run_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    api_version: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    result: Mapped[str] = mapped_column(String)
    diff: Mapped[list[dict[str, Any]] | None]
    error: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime]


class AppRow(Base):
    """An Application: its spec (references unresolved), status, and operator flags."""

    __tablename__ = "apps"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    spec: Mapped[dict[str, Any]]
    status: Mapped[dict[str, Any]]
    suspended: Mapped[bool]
    pinned_revision: Mapped[str | None] = mapped_column(String)
    source: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EventRow(Base):
    """Something that happened to an app: drift found (and later reverted), a sync, ..."""

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "app", "detected_at"),
        Index(None, "type", "reverted_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app: Mapped[str] = mapped_column(String)
    type: Mapped[str] = mapped_column(String)
    resource_kind: Mapped[str | None] = mapped_column(String)
    resource_name: Mapped[str | None] = mapped_column(String)
    fields: Mapped[list[dict[str, Any]] | None]
    message: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime]
    reverted_at: Mapped[datetime | None]


class TokenRow(Base):
    """An API token: only the SHA-256 of the token is kept, never the token."""

    __tablename__ = "tokens"
    __table_args__ = (
        UniqueConstraint("token_hash", name="token_hash"),
        # A name is reused only once its previous token is revoked.
        Index(
            "ix_tokens_active_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)
    apps: Mapped[list[str] | None] = mapped_column(JSON_DOCUMENT)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditRow(Base):
    """One entry of the audit chain. ``diff`` and ``details`` are kept as the canonical JSON
    text that was hashed (JSONB would renormalise numbers and break the hash); nothing in Kedge
    updates or deletes these rows, and on PostgreSQL a trigger refuses it."""

    __tablename__ = "audit"
    __table_args__ = (Index(None, "app", "seq"),)

    seq: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=False)
    time: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    app: Mapped[str | None] = mapped_column(String)
    resource: Mapped[str | None] = mapped_column(String)
    revision: Mapped[str | None] = mapped_column(String)
    diff: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String)
    details: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpointRow(Base):
    """A signed (sequence number, head hash) of the audit chain."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index(None, "seq"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BIG_ID)
    head: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String)
    public_key: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]


class LeaseRow(Base):
    """A lease: one controller replica holds ``name`` (an app) until ``expires_at``.

    ``generation`` grows by one on every takeover and is never reset (a released lease keeps
    its row): it is the fencing token every write of a reconcile is checked against."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    holder: Mapped[str] = mapped_column(String)
    expires_at: Mapped[datetime] = mapped_column()
    generation: Mapped[int] = mapped_column(BIG_ID, server_default=text("0"))


class ReplicaRow(Base):
    """A controller replica: alive while ``expires_at`` (the database's clock) is ahead."""

    __tablename__ = "replicas"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    host: Mapped[str] = mapped_column(String)
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    last_seen: Mapped[datetime]
    expires_at: Mapped[datetime]


class OperationRow(Base):
    """A requested sync or rollback, visible to every replica until pruned."""

    __tablename__ = "operations"
    __table_args__ = (Index(None, "app", "state"), Index(None, "created_at"))

    id: Mapped[str] = mapped_column(String, primary_key=True)
    app: Mapped[str] = mapped_column(String)
    type: Mapped[str] = mapped_column(String)
    actor: Mapped[str] = mapped_column(String)
    revision: Mapped[str | None] = mapped_column(String)
    prune: Mapped[bool | None]
    confirm_prune: Mapped[bool]
    state: Mapped[str] = mapped_column(String)
    message: Mapped[str] = mapped_column(Text)
    replica: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
