"""Benchmark: out-of-band ``ALTER TABLE ... ADD COLUMN`` -> Kedge's watch() reports it.

With ``settings.watch: true`` the event trigger NOTIFYs and watch() yields a WatchEvent; this
measures the time from sending the ALTER (autocommit) to the event. Goal: < 1 s.

    .venv/bin/python bench/postgres_watch_latency.py [--samples 20]
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kedge.providers.base import ConnectContext
from kedge.providers.postgres import provider
from tests.fixtures.pg import start_cluster
from tests.postgres.pgkit import make_target

DB = "watched"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    cluster = start_cluster()
    stop = threading.Event()
    try:
        cluster.create_database(DB)
        client = provider.connect({"dsn": cluster.dsn(), "watch": True}, ConnectContext("bench"))
        table = make_target("Table", "orders", {"database": DB, "columns": [{"name": "id", "type": "int"}]})
        client.create(table)
        events: queue.Queue = queue.Queue()

        def run() -> None:
            for event in client.watch(stop):
                events.put((time.perf_counter(), event))

        threading.Thread(target=run, daemon=True).start()
        time.sleep(0.5)
        latencies = []
        with cluster.connect(DB) as conn:
            for i in range(args.samples):
                while not events.empty():
                    events.get()
                sent = time.perf_counter()
                conn.execute(f"ALTER TABLE orders ADD COLUMN c{i} int")
                while True:
                    at, event = events.get(timeout=5)
                    if event.kind == "Table" and event.external_id == "orders":
                        latencies.append(at - sent)
                        break
        ms = [x * 1000 for x in latencies]
        print(f"{len(ms)} samples: median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms")
        client.close()
    finally:
        stop.set()
        cluster.stop()


if __name__ == "__main__":
    main()
