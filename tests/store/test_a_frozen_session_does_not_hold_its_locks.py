"""A replica frozen inside a transaction (a paused VM, SIGSTOP) must not hold its row locks for
ever: the PostgreSQL server ends a store session that sits idle inside a transaction, and the
other replicas go on. The user's own connection options (here a search_path) are kept."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kedge.store import database


@pytest.mark.postgres
def test_a_session_idle_in_a_transaction_is_ended(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one process per file: no other replica waits on its locks")
    monkeypatch.setattr(database, "IDLE_IN_TRANSACTION_S", 1)
    engine = database.create(database.parse_url(db_url))
    try:
        frozen = engine.connect()
        pid = frozen.execute(text("SELECT pg_backend_pid()")).scalar_one()
        frozen.execute(text("CREATE TABLE held (id int PRIMARY KEY)"))
        frozen.commit()
        frozen.execute(text("INSERT INTO held VALUES (1)"))  # a row lock, then nothing
        with engine.connect() as other:
            assert other.execute(text("SHOW search_path")).scalar_one().startswith("store_")
        deadline = time.monotonic() + 30
        while True:
            with engine.connect() as other:
                query = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
                holders = other.execute(query, {"pid": pid}).scalar_one()
            if holders == 0:
                break
            assert time.monotonic() < deadline, "the idle transaction was never ended"
            time.sleep(0.1)
        with pytest.raises(DBAPIError):
            frozen.execute(text("SELECT 1"))  # the frozen session was ended by the server
        frozen.invalidate()
        with engine.begin() as other:
            other.execute(text("INSERT INTO held VALUES (1)"))  # the lock is gone
    finally:
        engine.dispose()
