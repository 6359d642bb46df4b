"""Appends from many threads and from several processes sharing one database land in one
unbroken chain: each process caches the head, and a stale cache shows up as a duplicate
sequence number that makes the append re-read the head and try again."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kedge
from kedge.store import AuditItem, Store

ROOT = Path(kedge.__file__).resolve().parent.parent


def test_threads_and_two_stores_on_one_database_keep_one_chain(db_url: str) -> None:
    with Store.open(db_url) as one, Store.open(db_url) as two:

        def work(n: int) -> None:
            store = one if n % 2 else two
            if n % 5:
                store.audit(f"writer{n % 2}", "sync", app=f"app{n % 3}", revision=str(n))
            else:
                store.audit_many(
                    [AuditItem(f"writer{n % 2}", "update", revision=f"{n}.{i}") for i in range(3)]
                )

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(work, range(100)))
        result = one.verify_audit([])
        assert result.ok, result
        assert result.entries == 80 + 20 * 3
        revisions = [e.revision for e in two.audit_entries(limit=1000)]
        assert len(set(revisions)) == len(revisions) == 140


def test_a_stale_head_is_noticed_and_the_append_retried(db_url: str) -> None:
    """Each append by one store makes the other's cached head stale."""
    with Store.open(db_url) as one, Store.open(db_url) as two:
        for n in range(10):
            (one if n % 2 else two).audit("writer", "sync", revision=str(n))
        entries = sorted(one.audit_entries(), key=lambda e: e.seq)
        assert [e.revision for e in entries] == [str(n) for n in range(10)]
        assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
        assert one.verify_audit([]).ok


def test_another_process_appending_at_the_same_time(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store.open(str(path)) as store:
        store.audit("main", "start")
        script = (
            "from kedge.store import Store\n"
            f"s = Store.open({str(path)!r})\n"
            "for n in range(1000): s.audit('child', 'sync', revision=str(n))\n"
        )
        child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
        written = 0
        while child.poll() is None:  # keep appending for as long as the child does
            store.audit("main", "sync", revision=str(written))
            written += 1
        assert child.wait(timeout=60) == 0
        store.audit("main", "stop")  # the cache may be stale now: this must still link
        result = store.verify_audit([])
        assert result.ok and result.entries == 1000 + written + 2, result
        actors = [e.actor for e in store.audit_entries(limit=100_000)]
        assert actors.count("child") == 1000 and actors.count("main") == written + 2
