"""A SQLite file is served by one ``kedge serve``: a second server on the same file is refused
with a message that says why and what to do; once the first is gone the file is free again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kedge.model import ConfigError
from kedge.store import Store

HOLD = """
import sys, time
from kedge.store import Store
store = Store.open(sys.argv[1])
store.lock_for_serving()
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_server_on_one_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with Store.open(str(db)) as store, pytest.raises(ConfigError) as refused:
            store.lock_for_serving()
        message = str(refused.value)
        assert str(db) in message and f"pid {holder.pid}" in message
        assert "single replica" in message and "postgresql://" in message
    finally:
        holder.kill()  # a kill -9 drops the lock with the process
        holder.wait()
    with Store.open(str(db)) as store:
        lock = store.lock_for_serving()
        assert lock is not None
        lock.release()


def test_postgresql_takes_no_lock(db_url: str) -> None:
    with Store.open(db_url) as store:
        lock = store.lock_for_serving()
        assert (lock is None) == (store.dialect == "postgresql")
        if lock is not None:
            lock.release()
