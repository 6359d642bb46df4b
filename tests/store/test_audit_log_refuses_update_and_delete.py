"""The audit tables are append-only in the database itself: a trigger refuses UPDATE and DELETE
(and TRUNCATE on PostgreSQL), so no statement, from Kedge or a console, rewrites history
without first dropping the trigger; and the store offers no method that would."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from kedge.store import Store
from kedge.store.audit import AuditStore
from kedge.store.audit_keys import generate_private_key
from kedge.store.database import parse_url

STATEMENTS = [
    "UPDATE audit SET actor = 'mallory'",
    "DELETE FROM audit WHERE seq = 1",
    "UPDATE audit_checkpoints SET seq = 0",
    "DELETE FROM audit_checkpoints",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_update_and_delete_are_refused_by_the_database(store: Store, db_url: str, statement: str) -> None:
    store.audit("controller", "create", app="web")
    store.checkpoint(generate_private_key())
    engine = create_engine(parse_url(db_url))
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
    assert store.verify_audit([]).ok and store.audit_head()[0] == 1
    assert len(store.audit_checkpoints()) == 1


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(store: Store, db_url: str) -> None:
    if store.dialect != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    store.audit("controller", "create")
    engine = create_engine(parse_url(db_url))
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("TRUNCATE audit"))
    finally:
        engine.dispose()
    assert store.audit_head()[0] == 1


def test_the_audit_api_has_no_way_to_change_or_remove_an_entry() -> None:
    public = {name for name in vars(AuditStore) if not name.startswith("_")}
    assert public == {
        "audit",
        "audit_many",
        "audit_head",
        "audit_entries",
        "export_audit",
        "checkpoint",
        "audit_checkpoints",
        "verify_audit",
    }
