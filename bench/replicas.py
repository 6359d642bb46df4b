"""Replicas: work done once, and failover after kill -9.

Starts a throwaway PostgreSQL and real ``kedge serve`` processes on it (``tests/fixtures``),
with ``--apps`` apps that each write one local file from their own directory of one git
repository, and measures:

- work done once: with 1, 2 and 3 replicas, a commit to every app is applied once per app
  (runs recorded for the revision, summed over the apps), and the reconciles and database
  transactions it cost, per replica;
- failover: ``--kills`` times, a random replica is killed with SIGKILL, a commit to every app
  follows at once, and the time until every app the dead replica owned has the commit applied
  by a survivor is taken (p50 and max); a new replica then replaces the dead one;
- after all kills: every app applied every commit exactly once, and the audit chain verifies;
- chaos (``--chaos N``): N random kill -9s while commits, drift (files edited by hand) and
  operations (requested on random replicas) keep coming; then every app has exactly one owner
  and the last commit, no operation is stuck, no commit was applied twice, the audit verifies.

    .venv/bin/python bench/replicas.py                          # about 4 minutes: 30 apps, 3 kills
    .venv/bin/python bench/replicas.py --apps 300 --kills 10 --chaos 20   # the full run
    .venv/bin/python bench/replicas.py --only-chaos --chaos 5             # chaos alone, ~2 minutes
    .venv/bin/python bench/replicas.py --only-failover --kills 10         # failover alone, ~4 minutes

Prints one line per step and a summary; exits 1 when an invariant is violated.
"""

from __future__ import annotations

import argparse
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.pg import PgCluster, start_cluster, unique_name
from tests.fixtures.replicas import ReplicaSet, wait_until


def _metric(text: str, name: str) -> float:
    """The sum of every sample of ``name`` in Prometheus text."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            head = line.split(" ")[0]
            if head == name or head.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
    return total


def _metrics(replicas: ReplicaSet) -> dict[int, tuple[float, float]]:
    """Per replica: (reconciles, git polls) so far."""
    import urllib.request

    from tests.fixtures.replicas import TOKEN

    out = {}
    for replica in replicas.alive():
        request = urllib.request.Request(
            replica.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        out[replica.index] = (
            _metric(text, "kedge_reconcile_duration_seconds_count"),
            _metric(text, "kedge_git_requests_total"),
        )
    return out


def _transactions(cluster: PgCluster, database: str) -> int:
    with cluster.connect() as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", (database,)
        ).fetchone()
    return int(row[0]) if row else 0


def _applied(replicas: ReplicaSet, content: str, apps: list[str]) -> bool:
    found = replicas.contents()
    return all(found[app] == content for app in apps)


def _runs_of(replicas: ReplicaSet, revision: str) -> dict[str, int]:
    """Per app, how many runs applied ``revision`` as a new commit."""
    return {app: len(runs) for app, runs in replicas.commit_runs(revision).items()}


def work_done_once(cluster: PgCluster, base: Path, apps: int, count: int) -> dict[str, object]:
    database = cluster.create_database(unique_name("bench_work_"))
    replicas = ReplicaSet(base / f"work{count}", cluster.url(database), count=apps)
    try:
        replicas.commit_all("v1\n")
        replicas.start(count)
        wait_until(lambda: _applied(replicas, "v1\n", replicas.apps), 300, "v1 applied")
        window = 20.0
        before, tx_before = _metrics(replicas), _transactions(cluster, database)
        started = time.monotonic()
        revision = replicas.commit_all("v2\n")
        wait_until(lambda: _applied(replicas, "v2\n", replicas.apps), 300, "v2 applied")
        applied_in = time.monotonic() - started
        time.sleep(max(0.0, window - applied_in))  # a fixed window, so loads compare across runs
        after, tx_after = _metrics(replicas), _transactions(cluster, database)
        runs = sum(_runs_of(replicas, revision).values())
        per_replica = {
            i: (after[i][0] - before[i][0], after[i][1] - before[i][1]) for i in after if i in before
        }
        return {
            "replicas": count,
            "runs": runs,
            "applied_in": applied_in,
            "reconciles": [round(v[0]) for v in per_replica.values()],
            "polls": [round(v[1]) for v in per_replica.values()],
            "tx_per_s_per_replica": (tx_after - tx_before) / window / count,
        }
    finally:
        replicas.close()


def failover(cluster: PgCluster, base: Path, apps: int, kills: int, seed: int) -> tuple[list[float], bool]:
    rng = random.Random(seed)
    replicas = ReplicaSet(
        base / "failover", cluster.url(cluster.create_database(unique_name("bench_fo_"))), count=apps
    )
    times: list[float] = []
    revisions: list[str] = []
    try:
        revisions.append(replicas.commit_all("r0\n"))
        replicas.start(3)
        wait_until(lambda: _applied(replicas, "r0\n", replicas.apps), 300, "first commit applied")
        for round_ in range(1, kills + 1):
            wait_until(lambda: len(replicas.owners()) == 3, 60, "three replicas")
            owners = replicas.owners()
            victim = rng.choice(replicas.alive())
            name = replicas.name_of(victim)
            orphaned = owners[name]
            replicas.kill(victim)
            killed = time.monotonic()
            content = f"r{round_}\n"
            revisions.append(replicas.commit_all(content))
            wait_until(
                lambda c=content, o=orphaned: _applied(replicas, c, o), 120, f"round {round_}: takeover"
            )
            taken = time.monotonic() - killed
            times.append(taken)
            print(
                f"kill {round_}: {len(orphaned)} apps of {name} applied the next commit after {taken:.1f} s"
            )
            wait_until(lambda c=content: _applied(replicas, c, replicas.apps), 120, "every app applied")
            replicas.start(1)
        ok = True
        for revision in revisions:
            counts = _runs_of(replicas, revision)
            if set(counts.values()) != {1}:
                print(f"VIOLATION: revision {revision[:12]} applied {sorted(set(counts.values()))} times")
                ok = False
        if replicas.get("/api/v1/audit/verify")["ok"] is not True:
            print("VIOLATION: the audit chain does not verify")
            ok = False
        return times, ok
    finally:
        replicas.close()


def chaos(cluster: PgCluster, base: Path, apps: int, kills: int, seed: int) -> bool:
    """Random kill -9s while commits, drift and operations keep coming; then the invariants."""
    rng = random.Random(seed)
    url = cluster.url(cluster.create_database(unique_name("bench_chaos_")))
    replicas = ReplicaSet(base / "chaos", url, count=apps)
    revisions: list[str] = []
    ops: list[str] = []
    try:
        revisions.append(replicas.commit_all("c0\n"))
        replicas.start(3)
        wait_until(lambda: _applied(replicas, "c0\n", replicas.apps), 300, "first commit applied")
        for round_ in range(1, kills + 1):
            replicas.kill(rng.choice(replicas.alive()))
            revisions.append(replicas.commit_all(f"c{round_}\n"))
            for app in rng.sample(replicas.apps, min(3, apps)):  # drift, to be reverted
                (replicas.root / app / f"{app}.txt").write_text("tampered\n")
            survivor = rng.choice(replicas.alive())
            ops.append(replicas.post(f"/api/v1/apps/{rng.choice(replicas.apps)}/sync", {}, survivor)["id"])
            time.sleep(rng.uniform(1.0, 6.0))  # the next kill lands while this work is in flight
            replicas.start(1)
        last = f"c{kills}\n"
        wait_until(lambda: _applied(replicas, last, replicas.apps), 180, "every app at the last commit")
        owned = sorted(app for names in replicas.owners().values() for app in names)
        ok = owned == replicas.apps
        if not ok:
            print(f"VIOLATION: apps without exactly one owner: {sorted(set(replicas.apps) ^ set(owned))}")

        def finished() -> bool:
            return all(
                replicas.get(f"/api/v1/operations/{op}")["state"] in ("succeeded", "failed") for op in ops
            )

        try:
            wait_until(finished, 120, "every operation finished")
        except AssertionError as err:
            print(f"VIOLATION: stuck operations: {err}")
            ok = False
        for revision in revisions:
            for app, runs in replicas.commit_runs(revision).items():
                if len(runs) > 1:
                    print(f"VIOLATION: {revision[:12]} applied twice to {app}: {runs}")
                    ok = False
        if replicas.get("/api/v1/audit/verify")["ok"] is not True:
            print("VIOLATION: the audit chain does not verify")
            ok = False
        print(
            f"chaos: {kills} kills, {len(revisions)} commits, {len(ops)} operations, drift on "
            f"{3 * kills} files: {'every invariant held' if ok else 'INVARIANT VIOLATED'}"
        )
        return ok
    finally:
        replicas.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--apps", type=int, default=30)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--max-replicas", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chaos", type=int, default=0, help="random kill -9s under load (0: skip)")
    parser.add_argument("--only-chaos", action="store_true", help="skip the other measurements")
    parser.add_argument("--only-failover", action="store_true", help="skip work-done-once and chaos")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the replicas and the cluster too
    cluster = start_cluster()
    ok = True
    try:
        with tempfile.TemporaryDirectory(prefix="kedge-bench-replicas-") as tmp:
            base = Path(tmp)
            if not args.only_chaos:
                if not args.only_failover:
                    print(f"work done once, {args.apps} apps, one commit to each:")
                for count in range(1, 0 if args.only_failover else args.max_replicas + 1):
                    result = work_done_once(cluster, base, args.apps, count)
                    print(
                        f"  {count} replica(s): {result['runs']} runs for {args.apps} apps, applied in "
                        f"{result['applied_in']:.1f} s; in a 20 s window, reconciles per replica "
                        f"{result['reconciles']}, {result['tx_per_s_per_replica']:.1f} database "
                        "transactions/s per replica"
                    )
                    ok = ok and result["runs"] == args.apps
                times, fine = failover(cluster, base, args.apps, args.kills, args.seed)
                ok = ok and fine
                print(
                    f"failover over {len(times)} kills: p50 {statistics.median(times):.1f} s, "
                    f"max {max(times):.1f} s (goal: max under 20 s)"
                )
            if args.chaos and not args.only_failover:
                ok = chaos(cluster, base, args.apps, args.chaos, args.seed) and ok
    finally:
        cluster.stop()
    print("OK" if ok else "INVARIANT VIOLATED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
