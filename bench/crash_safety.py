"""Crash safety: `kill -9` of `kedge apply` at random points, then the invariants.

Each round changes the app (adds and removes resources), starts `kedge apply` as a separate
process, kills it with SIGKILL after a random delay inside the time a full apply takes, and
then checks what a user relies on:

- a clean `kedge apply` converges and the next `kedge plan --detailed-exitcode` exits 0;
- every object of the app exists exactly once and is tracked (the plan's noop count equals the
  declared count; nothing Kedge marked is left outside the inventory);
- no intent is left in the state store, no run stays "running";
- no `.kedge-*.tmp` file of a dead process stays in a local root;
- `kedge audit verify` passes.

    python bench/crash_safety.py --rounds 100 --target local
    python bench/crash_safety.py --rounds 100 --target postgres --pg-dsn postgresql://…

Without --pg-dsn the postgres target starts a throwaway cluster (needs the Debian server
binaries, as the tests do). Prints one line per round and a summary; exits 1 on a violation.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEDGE = [sys.executable, "-m", "kedge.cli.main"]


def local_resources(names: list[str], root: Path, version: int) -> str:
    head = f"""
    apiVersion: kedge.dev/v1
    kind: ProviderConfig
    metadata: {{name: default}}
    spec: {{provider: local, settings: {{root: {root}}}}}
    """
    docs = [
        f"""
    ---
    apiVersion: local.kedge.dev/v1
    kind: File
    metadata: {{name: {n}}}
    spec: {{path: "d/{n}.txt", content: "{n} v{version} {'x' * 2000}"}}
    """
        for n in names
    ]
    return textwrap.dedent(head + "".join(docs))


def pg_resources(names: list[str], prefix: str, version: int) -> str:
    head = """
    apiVersion: kedge.dev/v1
    kind: ProviderConfig
    metadata: {name: default}
    spec: {provider: postgres, settings: {dsn: {fromEnv: KEDGE_PG_DSN}}}
    """
    docs = [
        f"""
    ---
    apiVersion: postgres.kedge.dev/v1
    kind: Role
    metadata: {{name: {prefix}-{n}}}
    spec: {{login: false, connectionLimit: {version % 50}}}
    """
        for n in names
    ]
    return textwrap.dedent(head + "".join(docs))


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(KEDGE + args, env=env, capture_output=True, text=True, check=False)


def state_violations(db: Path) -> list[str]:
    problems = []
    with sqlite3.connect(db) as conn:
        intents = conn.execute("SELECT count(*) FROM intents").fetchone()[0]
        if intents:
            problems.append(f"{intents} intent(s) left")
        running = conn.execute("SELECT count(*) FROM runs WHERE result = 'running'").fetchone()[0]
        if running:
            problems.append(f"{running} run(s) never finished")
    return problems


def one_round(rng, app, db, env, write, count, leftovers, span):  # type: ignore[no-untyped-def]
    """One kill and the checks; ``span`` holds how long the last clean apply took."""
    names = sorted(rng.sample(range(1000), rng.randint(50, 400)))
    write([f"r{n}" for n in names], rng.randint(0, 10**6))
    proc = subprocess.Popen(
        [*KEDGE, "apply", str(app), "--auto-approve", "--prune", "--confirm-prune", "--allow-empty", "--db", str(db)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(rng.uniform(0.05, span[0]))
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    problems: list[str] = []
    began = time.monotonic()
    apply = run(["apply", str(app), "--auto-approve", "--prune", "--confirm-prune", "--allow-empty", "--db", str(db)], env)
    span[0] = time.monotonic() - began
    if apply.returncode != 0:
        problems.append(f"clean apply failed: {apply.stderr.strip()[-300:]}")
    plan = run(["plan", str(app), "-o", "json", "--detailed-exitcode", "--db", str(db)], env)
    if plan.returncode != 0:
        problems.append(f"plan after apply exits {plan.returncode}")
    else:
        noop = json.loads(plan.stdout)["summary"]["noop"]
        if noop != len(names):
            problems.append(f"plan tracks {noop} of {len(names)}")
    real = count()
    if real != len(names):
        problems.append(f"{real} objects exist, {len(names)} declared")
    problems += state_violations(db) + leftovers()
    audit = run(["audit", "verify", "--db", str(db)], env)
    if audit.returncode != 0:
        problems.append("audit chain: " + audit.stdout.strip()[-200:])
    print(f"{'killed' if killed else 'finished'} with {len(names)} declared: {problems or 'ok'}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--target", choices=["local", "postgres"], default="local")
    parser.add_argument("--pg-dsn", default="")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="kedge-crash-"))
    app, db = work / "app", work / "state.db"
    app.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cluster = None
    if args.target == "local":
        root = work / "files"
        root.mkdir()

        def write(names: list[str], version: int) -> None:
            (app / "app.yaml").write_text(local_resources(names, root, version))

        def count() -> int:
            return len(list(root.rglob("*.txt")))

        def leftovers() -> list[str]:
            tmp = list(root.rglob(".kedge-*.tmp"))
            return [f"{len(tmp)} stale temp file(s) after a clean apply"] if tmp else []
    else:
        sys.path.insert(0, str(ROOT))
        if args.pg_dsn:
            dsn = args.pg_dsn
        else:
            from tests.fixtures.pg import start_cluster

            cluster = start_cluster()
            dsn = cluster.dsn()
        env["KEDGE_PG_DSN"] = dsn
        prefix = f"crash{os.getpid()}"
        import psycopg

        def write(names: list[str], version: int) -> None:
            (app / "app.yaml").write_text(pg_resources(names, prefix, version))

        def leftovers() -> list[str]:
            return []

        def count() -> int:
            with psycopg.connect(dsn, autocommit=True) as conn:
                return int(conn.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE %s", (prefix + "-%",)).fetchone()[0])

    violations = 0
    span = [2.0]
    started = time.monotonic()
    try:
        for i in range(args.rounds):
            print(f"round {i + 1}/{args.rounds}: ", end="", flush=True)
            violations += bool(one_round(rng, app, db, env, write, count, leftovers, span))
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"{args.target}: {args.rounds} rounds in {time.monotonic() - started:.0f} s, {violations} with a violation")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
