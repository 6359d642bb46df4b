"""What an attacker with write access to the state database does to the audit log: drop the
append-only triggers, then edit rows with plain SQL (the hash algorithm is public, so forged
entries carry well-formed hashes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, create_engine, select, text

from kedge.store.audit import AUDIT
from kedge.store.audit_chain import Row, row_hash
from kedge.store.database import parse_url

COLUMNS = "seq, time, actor, action, app, resource, revision, diff, result, details, prev_hash, hash"


@contextmanager
def raw_sql(db_url: str) -> Iterator[Connection]:
    """A connection with the audit triggers out of the way, committed at the end."""
    engine = create_engine(parse_url(db_url))
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("ALTER TABLE audit DISABLE TRIGGER USER"))
                connection.execute(text("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER"))
            else:
                for table in ("audit", "audit_checkpoints"):
                    for op in ("update", "delete"):
                        connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{op}"))
            yield connection
    finally:
        engine.dispose()


def rows(connection: Connection) -> list[dict[str, Any]]:
    """Every entry, typed as the store reads it (aware datetimes)."""
    result = connection.execute(select(AUDIT).order_by(AUDIT.c.seq))
    return [dict(r._mapping) for r in result]


def as_row(values: dict[str, Any]) -> Row:
    return tuple(values[c] for c in COLUMNS.split(", "))  # type: ignore[return-value]


def insert(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(AUDIT.insert(), [{n: values[n] for n in COLUMNS.split(", ")}])


def renumber(connection: Connection, from_seq: int, by: int) -> None:
    """Shift every entry from ``from_seq`` on by ``by`` (through negatives: no key collides)."""
    connection.execute(text("UPDATE audit SET seq = -(seq + :by) WHERE seq >= :s"), {"by": by, "s": from_seq})
    connection.execute(text("UPDATE audit SET seq = -seq WHERE seq < 0"))


def sealed(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the hash an attacker would compute for them."""
    return {**values, "hash": row_hash(as_row({**values, "hash": ""}))}
