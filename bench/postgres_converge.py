"""Benchmark: converge 1,000 roles + 1,000 grants from nothing.

Kedge (provider client: one batched observe per kind, then one transaction per resource) and
``kedge apply`` (the whole CLI), against ``psql -f`` running the same statements in one session
(the physical limit). Each run uses a fresh throwaway cluster.

    .venv/bin/python bench/postgres_converge.py [--count 1000] [--cli] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kedge.providers.base import ConnectContext
from kedge.providers.postgres import provider
from tests.fixtures.pg import PgCluster, start_cluster
from tests.postgres.pgkit import make_target

DB = "bench"


def targets(count: int, prefix: str) -> tuple[list, list]:
    roles = [make_target("Role", f"{prefix}{i}", {"login": True}) for i in range(count)]
    grants = [
        make_target(
            "Grant",
            f"{prefix}g{i}",
            {"role": f"{prefix}{i}", "on": "database", "database": DB, "privileges": ["CONNECT"]},
        )
        for i in range(count)
    ]
    return roles, grants


def run_kedge_client(cluster: PgCluster, count: int) -> float:
    roles, grants = targets(count, "k")
    client = provider.connect({"dsn": cluster.dsn()}, ConnectContext("bench"))
    start = time.perf_counter()
    for kind, items in (("Role", roles), ("Grant", grants)):
        observed = client.observe_many(kind, items)
        for t in items:
            if not observed[t.key].exists:
                client.create(t)
    elapsed = time.perf_counter() - start
    client.close()
    return elapsed


def psql_script(cluster: PgCluster, count: int) -> str:
    """The statements Kedge runs for the same resources (taken from its own preview)."""
    roles, grants = targets(count, "p")
    client = provider.connect({"dsn": cluster.dsn()}, ConnectContext("bench"))
    lines: list[str] = []
    from kedge.model import Observation

    for t in [*roles, *grants]:
        lines += [s + ";" for s in client.preview(t, Observation.missing(), [])]
    client.close()
    return "\n".join(lines) + "\n"


def run_psql(cluster: PgCluster, script: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    start = time.perf_counter()
    subprocess.run([*cluster.psql_command(), "-f", f.name], check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    os.unlink(f.name)
    return elapsed


def run_cli(cluster: PgCluster, count: int) -> float:
    work = Path(tempfile.mkdtemp(prefix="kedge-bench-"))
    app = work / "app"
    app.mkdir()
    (app / "provider.yaml").write_text(
        textwrap.dedent(f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec: {{provider: postgres, settings: {{dsn: "{cluster.dsn()}"}}}}
        """)
    )
    docs = []
    for i in range(count):
        docs.append(
            f"apiVersion: postgres.kedge.dev/v1\nkind: Role\nmetadata: {{name: c{i}}}\nspec: {{login: true}}\n"
        )
        docs.append(
            f"apiVersion: postgres.kedge.dev/v1\nkind: Grant\nmetadata: {{name: c{i}-connect}}\n"
            f"spec: {{role: c{i}, on: database, database: {DB}, privileges: [CONNECT]}}\n"
        )
    (app / "resources.yaml").write_text("---\n".join(docs))
    kedge = Path(sys.executable).parent / "kedge"
    start = time.perf_counter()
    result = subprocess.run(
        [str(kedge), "apply", str(app), "--auto-approve", "--db", str(work / "state.db")],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"kedge apply failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed


def fresh(run, *args):  # type: ignore[no-untyped-def]
    """Run one measurement on its own new cluster: ACLs and catalogs start empty for each."""
    cluster = start_cluster()
    try:
        cluster.create_database(DB)
        return run(cluster, *args)
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--cli", action="store_true", help="also time `kedge apply` (the whole engine)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is reported")
    args = parser.parse_args()

    script = fresh(psql_script, args.count)
    psql = min(fresh(run_psql, script) for _ in range(args.repeat))
    kedge = min(fresh(run_kedge_client, args.count) for _ in range(args.repeat))
    print(f"{args.count} roles + {args.count} grants, {script.count(';')} statements")
    print(f"psql -f          : {psql:7.2f} s")
    print(f"kedge (client)   : {kedge:7.2f} s  ratio {kedge / psql:.2f}x")
    if args.cli:
        cli = min(fresh(run_cli, args.count) for _ in range(args.repeat))
        print(f"kedge apply (CLI): {cli:7.2f} s  ratio {cli / psql:.2f}x")


if __name__ == "__main__":
    main()
