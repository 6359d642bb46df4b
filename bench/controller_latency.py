"""Benchmark: how fast the controller pulls the world back, push-based.

    .venv/bin/python bench/controller_latency.py [--samples 50] [--skip-postgres]

Measures, with a real controller (queue, workers, watches) over a real git repository:
- drift -> reverted for a local ``File`` (inotify watch) and a PostgreSQL table column added
  out of band (event trigger + LISTEN), p50 and p99 over ``--samples`` changes;
- commit -> applied, via the webhook hint and via polling (1 s poll interval).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.manifests import CoreDocument
from kedge.sources import LocalSources
from kedge.store import Store
from tests.controller.conftest import GitRepo, file_doc


def wait(predicate: Callable[[], bool], timeout: float = 30.0) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise SystemExit("timed out")
        time.sleep(0.002)
    return time.perf_counter() - start


def summary(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return (f"{name}: n={len(samples)} p50={statistics.median(samples) * 1000:.0f} ms "
            f"p99={p99 * 1000:.0f} ms max={samples[-1] * 1000:.0f} ms")


def controller_for(work: Path, configs: list[CoreDocument]) -> tuple[Controller, Engine, Store]:
    store = Store.open(str(work / "state.db"))
    engine = Engine(store, extra_configs=configs)
    controller = Controller(store, engine, cache_dir=work / "git", local_sources=LocalSources.under([work]))
    controller.start()
    return controller, engine, store


def local_drift(samples: int) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="kedge-bench-"))
    root = work / "files"
    root.mkdir()
    repo = GitRepo(work / "repo")
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    config = CoreDocument("ProviderConfig", "default", {"provider": "local", "settings": {"root": str(root)}},
                          {}, {}, None, None)
    controller, engine, store = controller_for(work, [config])
    spec = {"source": {"repoURL": str(repo.path), "targetRevision": "main", "pollInterval": "1s"},
            "syncPolicy": {"automated": True, "selfHeal": True, "driftInterval": "30s"}}
    try:
        controller.create_app("bench", spec, actor="bench")
        wait(lambda: (root / "motd").exists() and controller.get_app("bench")["status"]["sync"] == "Synced")
        time.sleep(0.5)
        drift = []
        for i in range(samples):
            (root / "motd").write_text(f"tampered {i}\n")
            drift.append(wait(lambda: (root / "motd").read_text() == "hello\n"))
            time.sleep(0.05)
        webhook, polling = [], []
        for i in range(max(5, samples // 5)):
            repo.commit({"app.yaml": file_doc("motd", "motd", f"webhook {i}\n")})
            start = time.perf_counter()
            controller.webhook({"ref": "refs/heads/main", "repository": {"clone_url": str(repo.path)}})
            wait(lambda i=i: (root / "motd").read_text() == f"webhook {i}\n")
            webhook.append(time.perf_counter() - start)
            time.sleep(1.5)  # let the echo of our own writes settle: the next change must be found by polling
            repo.commit({"app.yaml": file_doc("motd", "motd", f"poll {i}\n")})
            polling.append(wait(lambda i=i: (root / "motd").read_text() == f"poll {i}\n"))
            time.sleep(0.1)
        return [summary("local File drift -> reverted", drift),
                summary("commit -> applied via webhook", webhook),
                summary("commit -> applied via polling (1 s interval)", polling)]
    finally:
        controller.stop()
        engine.close()
        store.close()


def postgres_drift(samples: int) -> list[str]:
    from tests.fixtures.pg import start_cluster

    cluster = start_cluster()
    work = Path(tempfile.mkdtemp(prefix="kedge-bench-"))
    try:
        cluster.create_database("shop")
        repo = GitRepo(work / "repo")
        table = {
            "apiVersion": "postgres.kedge.dev/v1", "kind": "Table",
            "metadata": {"name": "orders", "annotations": {"kedge.dev/allow-destructive": "true"}},
            "spec": {"database": "shop", "schema": "public",
                     "columns": [{"name": "id", "type": "integer", "nullable": False, "primaryKey": True}]},
        }
        repo.commit({"app.yaml": json.dumps(table)})
        config = CoreDocument("ProviderConfig", "default", {"provider": "postgres", "settings": {
            "dsn": cluster.dsn(), "watch": True}}, {}, {}, None, None)
        controller, engine, store = controller_for(work, [config])
        spec = {"source": {"repoURL": str(repo.path), "targetRevision": "main"},
                "syncPolicy": {"automated": True, "selfHeal": True, "driftInterval": "30s"}}
        try:
            controller.create_app("db", spec, actor="bench")
            wait(lambda: controller.get_app("db")["status"]["sync"] == "Synced")
            time.sleep(1.0)

            def columns() -> int:
                with cluster.connect("shop") as conn:
                    row = conn.execute("select count(*) from information_schema.columns "
                                       "where table_name = 'orders'").fetchone()
                    return int(row[0]) if row else 0

            drift = []
            for i in range(samples):
                with cluster.connect("shop") as conn:
                    conn.execute(f"ALTER TABLE orders ADD COLUMN extra_{i} text")
                drift.append(wait(lambda: columns() == 1))
                time.sleep(0.05)
            return [summary("PostgreSQL ADD COLUMN drift -> reverted", drift)]
        finally:
            controller.stop()
            engine.close()
            store.close()
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    lines = local_drift(args.samples)
    if not args.skip_postgres:
        lines += postgres_drift(args.samples)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
