"""The audit log keeps up with the controller on SQLite: single appends in the thousands per
second, batches faster, and a replay that streams (the full-size numbers are in bench/audit.py;
the bounds here are loose enough for a busy two-core machine)."""

from __future__ import annotations

import time
from pathlib import Path

from kedge.store import AuditItem, Store

DIFF = [{"path": "content", "before": "old", "after": "new"}]


def test_single_appends_batches_and_replay_are_fast(tmp_path: Path) -> None:
    with Store.open(str(tmp_path / "state.db")) as store:
        started = time.perf_counter()
        for n in range(2_000):
            store.audit("controller", "update", app="web", resource=f"File/f{n}", diff=DIFF)
        single = time.perf_counter() - started

        batch = [
            AuditItem("controller", "update", app="web", resource=f"File/g{n}", diff=DIFF)
            for n in range(1_000)
        ]
        started = time.perf_counter()
        for _ in range(20):
            store.audit_many(batch)
        batched = time.perf_counter() - started

        started = time.perf_counter()
        result = store.verify_audit([])
        replay = time.perf_counter() - started
    assert result.ok and result.entries == 22_000
    assert single < 1.0, f"2,000 single appends took {single:.2f} s"
    assert batched < 2.0, f"20,000 batched appends took {batched:.2f} s"
    assert replay < 1.5, f"verifying 22,000 entries took {replay:.2f} s"
