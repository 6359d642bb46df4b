"""Benchmark: the audit log on SQLite (or ``--db postgresql://...``).

    .venv/bin/python bench/audit.py [--single 20000] [--entries 1000000] [--batch 10000] [--db URL]

Measures:
- single appends (``store.audit``, one transaction each): entries per second (goal > 5,000);
- batched appends (``store.audit_many``): entries per second;
- ``verify_audit`` replaying ``--entries`` entries with a signed checkpoint (goal < 30 s for
  1,000,000), and its peak RSS (the replay streams, so it stays flat);
- a checkpoint after the fill (it verifies the entries since the previous one first).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from kedge.store import AuditItem, Store
from kedge.store.audit_keys import generate_private_key

DIFF = [
    {"path": "spec.content", "before": "(sensitive)", "after": "(sensitive)"},
    {"path": "spec.mode", "before": "0644", "after": "0600"},
]


def item(n: int) -> AuditItem:
    return AuditItem(
        "controller",
        "update",
        app=f"app-{n % 50}",
        resource=f"File/file-{n:07d}",
        revision="3f2c1e0d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e",
        diff=DIFF,
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--single", type=int, default=20_000, help="single appends to time")
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in the log to verify")
    parser.add_argument("--batch", type=int, default=10_000, help="entries per audit_many call")
    parser.add_argument("--db", help="database URL [default: a SQLite file in a temporary directory]")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kedge-bench-audit-") as tmp:
        url = args.db or str(Path(tmp) / "state.db")
        key = generate_private_key()
        with Store.open(url) as store:
            print(f"database: {store.url}")
            start = time.perf_counter()
            for n in range(args.single):
                i = item(n)
                store.audit(
                    i.actor, i.action, app=i.app, resource=i.resource, revision=i.revision, diff=i.diff
                )
            single = time.perf_counter() - start
            print(
                f"single appends:  {args.single:>9,} in {single:6.2f} s = {args.single / single:>9,.0f} entries/s"
            )

            remaining = max(args.entries - args.single, 0)
            start = time.perf_counter()
            done = 0
            while done < remaining:
                size = min(args.batch, remaining - done)
                store.audit_many([item(args.single + done + i) for i in range(size)])
                done += size
            batched = time.perf_counter() - start
            if remaining:
                print(
                    f"batched appends: {remaining:>9,} in {batched:6.2f} s = {remaining / batched:>9,.0f} entries/s"
                )

            start = time.perf_counter()
            checkpoint = store.checkpoint(key)
            signing = time.perf_counter() - start
            assert checkpoint is not None
            print(f"checkpoint at entry {checkpoint.seq:,} (verifies the whole log first): {signing:6.2f} s")

            rss_before = peak_rss_mib()
            start = time.perf_counter()
            result = store.verify_audit([key.public_key()])
            verify = time.perf_counter() - start
            if not result.ok:
                sys.exit(f"verification failed: {result.reason}")
            print(
                f"verify:          {result.entries:>9,} in {verify:6.2f} s = {result.entries / verify:>9,.0f} entries/s"
                f"  (peak RSS {rss_before:.0f} -> {peak_rss_mib():.0f} MiB)"
            )


if __name__ == "__main__":
    main()
