"""Benchmark: converge 1,000 roles + 1,000 grants from nothing.

Kedge (provider client: one batched observe per kind, then one transaction per resource) and
``kedge apply`` (the whole CLI), against ``psql -f`` running the same statements in one session
(the physical limit). Each run uses a fresh throwaway cluster.

With ``--ansible``, also Ansible's ``community.postgresql`` modules declaring the same roles and
grants (``bench/ansible_support.py``; its own virtualenv in ``~/.cache/kedge-bench``). Ansible
runs on ``--ansible-count`` roles + grants, Kedge on the same number for a like-for-like ratio,
and Ansible's time at ``--count`` is extrapolated from its per-item rate (labelled as such).

    .venv/bin/python bench/postgres_converge.py [--count 1000] [--cli] [--repeat 3]
        [--ansible [--ansible-count 100] [--ansible-repeat 1]]

With ``--cli`` it also times a no-op ``kedge plan`` of the converged app (2,001 resources with
the ProviderConfig) against ``psql`` running the two catalog queries that hold the same facts.
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

from bench import ansible_support
from kedge.providers.base import ConnectContext
from kedge.providers.postgres import provider
from tests.fixtures.pg import PASSWORD, SUPERUSER, PgCluster, start_cluster
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


def run_kedge_client(cluster: PgCluster, count: int, prefix: str = "k") -> float:
    roles, grants = targets(count, prefix)
    client = provider.connect({"dsn": cluster.dsn()}, ConnectContext("bench"))
    start = time.perf_counter()
    for kind, items in (("Role", roles), ("Grant", grants)):
        observed = client.observe_many(kind, items)
        for t in items:
            if not observed[t.key].exists:
                client.create(t)
    elapsed = time.perf_counter() - start
    client.close()
    check_converged(cluster, prefix, count)
    return elapsed


def run_kedge_batched(cluster: PgCluster, count: int, prefix: str = "b") -> float:
    """The client as the engine drives it: each layer's creates handed over together."""
    roles, grants = targets(count, prefix)
    client = provider.connect({"dsn": cluster.dsn()}, ConnectContext("bench"))
    start = time.perf_counter()
    for kind, items in (("Role", roles), ("Grant", grants)):
        observed = client.observe_many(kind, items)
        missing = [t for t in items if not observed[t.key].exists]
        created = client.create_many(missing)
        for t in missing:
            if t.key not in created:
                client.create(t)
    elapsed = time.perf_counter() - start
    client.close()
    check_converged(cluster, prefix, count)
    return elapsed


def check_converged(cluster: PgCluster, prefix: str, count: int, app: str = "bench") -> None:
    """Every ``{prefix}{i}`` is a role as Kedge declares it for ``app`` and holds CONNECT on the database."""
    with cluster.connect() as conn:
        row = conn.execute(
            """
            SELECT count(*) FILTER (WHERE r.rolcanlogin AND NOT r.rolsuper AND NOT r.rolcreatedb
                                      AND NOT r.rolcreaterole AND r.rolinherit AND r.rolconnlimit = -1
                                      AND shobj_description(r.oid, 'pg_authid') = %s),
                   count(*) FILTER (WHERE has_database_privilege(r.oid, %s, 'CONNECT')
                                      AND EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a
                                                  WHERE d.datname = %s AND a.grantee = r.oid
                                                    AND a.privilege_type = 'CONNECT'))
            FROM pg_roles r WHERE r.rolname ~ %s
            """,
            (ansible_support.role_comment(app), DB, DB, f"^{prefix}[0-9]+$"),
        ).fetchone()
    if row != (count, count):
        raise SystemExit(f"{prefix}*: {row[0]} roles as declared, {row[1]} grants; expected {count} each")


def run_ansible(cluster: PgCluster, count: int) -> float:
    names = [f"a{i}" for i in range(count)]
    login = {
        "login_host": cluster.host,
        "port": cluster.port,
        "login_user": SUPERUSER,
        "login_password": PASSWORD,
    }
    elapsed = ansible_support.run_playbook(ansible_support.playbook(login, DB, names))
    check_converged(cluster, "a", count)
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


def run_cli(cluster: PgCluster, count: int, noop_plan: list[tuple[float, float]] | None = None) -> float:
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
            f"apiVersion: postgres.kedge.dev/v1\nkind: Grant\n"
            f"metadata: {{name: c{i}-connect}}\n"  # ordered after Role/c{i} by its role: field
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
    check_converged(cluster, "c", count, app="app")
    if noop_plan is not None:
        noop_plan.append(time_noop_plan(cluster, [str(kedge), "plan", str(app), "--detailed-exitcode",
                                                  "--db", str(work / "state.db")]))
    return elapsed


# What a no-op plan must learn at the least: the roles with their marks, and the database's ACL.
CATALOG_QUERIES = """
SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit,
       r.rolconnlimit, shobj_description(r.oid, 'pg_authid') FROM pg_roles r;
SELECT d.datname, a.grantee::regrole, a.privilege_type FROM pg_database d, aclexplode(d.datacl) a;
"""


def time_noop_plan(cluster: PgCluster, plan: list[str], repeat: int = 3) -> tuple[float, float]:
    """Best wall time of ``kedge plan`` with nothing to change, and of ``psql`` running the two
    catalog queries that hold the same facts, interleaved."""
    kedge_times, psql_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(plan, capture_output=True, text=True)
        kedge_times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"the plan after apply is not empty:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        start = time.perf_counter()
        subprocess.run([*cluster.psql_command(DB), "-c", CATALOG_QUERIES], check=True, capture_output=True)
        psql_times.append(time.perf_counter() - start)
    return min(kedge_times), min(psql_times)


def fresh(run, *args):  # type: ignore[no-untyped-def]
    """Run one measurement on its own new cluster: ACLs and catalogs start empty for each."""
    cluster = start_cluster()
    try:
        cluster.create_database(DB)
        return run(cluster, *args)
    finally:
        cluster.stop()


def compare_ansible(
    full: int, count: int, repeat: int, ansible_repeat: int, kedge_full: float, cli_full: float | None
) -> None:
    """Ansible and Kedge on ``count`` items each; Ansible's time at ``full`` extrapolated.

    The extrapolation is the fixed start-up (the same play over empty loops) plus the measured
    per-item rate times ``2 * full`` items: Ansible runs each loop item as its own module call."""
    kedge = min(fresh(run_kedge_client, count) for _ in range(repeat))
    cli = min(fresh(run_cli, count) for _ in range(repeat))
    ansible = min(fresh(run_ansible, count) for _ in range(ansible_repeat))
    startup = min(fresh(run_ansible, 0) for _ in range(ansible_repeat))
    per_item = (ansible - startup) / (2 * count)
    extrapolated = startup + per_item * 2 * full
    print(f"ansible: {ansible_support.versions()}, pipelining on, best of {ansible_repeat}")
    print(f"{count} roles + {count} grants (measured, like for like)")
    print(f"kedge (client)   : {kedge:7.2f} s")
    print(f"kedge apply (CLI): {cli:7.2f} s")
    print(
        f"ansible-playbook : {ansible:7.2f} s  ratio {ansible / kedge:.1f}x kedge client, "
        f"{ansible / cli:.1f}x kedge apply"
    )
    print(f"  of which start-up (same play, empty loops): {startup:.2f} s; {per_item * 1000:.1f} ms per item")
    print(f"{full} roles + {full} grants, ansible EXTRAPOLATED from {count} (start-up + per-item rate)")
    print(
        f"ansible-playbook : {extrapolated:7.1f} s  (extrapolated)  ratio {extrapolated / kedge_full:.0f}x "
        f"kedge client measured at {full}"
        + (f", {extrapolated / cli_full:.0f}x kedge apply measured at {full}" if cli_full else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--cli", action="store_true", help="also time `kedge apply` (the whole engine)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is reported")
    parser.add_argument("--ansible", action="store_true", help="also time Ansible's community.postgresql")
    parser.add_argument("--ansible-count", type=int, default=100, help="roles (and grants) Ansible converges")
    parser.add_argument("--ansible-repeat", type=int, default=1, help="runs of Ansible; the best is reported")
    args = parser.parse_args()
    if args.ansible:
        ansible_support.ensure_venv()  # installing is not part of any measurement

    script = fresh(psql_script, args.count)
    psql = min(fresh(run_psql, script) for _ in range(args.repeat))
    kedge = min(fresh(run_kedge_client, args.count) for _ in range(args.repeat))
    print(f"{args.count} roles + {args.count} grants, {script.count(';')} statements, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"psql -f          : {psql:7.2f} s")
    print(f"kedge (client)   : {kedge:7.2f} s  ratio {kedge / psql:.2f}x  (one transaction per object)")
    batched = min(fresh(run_kedge_batched, args.count) for _ in range(args.repeat))
    print(f"kedge (client)   : {batched:7.2f} s  ratio {batched / psql:.2f}x  (a layer's creates together)")
    if args.cli:
        plans: list[tuple[float, float]] = []
        cli = min(fresh(run_cli, args.count, plans) for _ in range(args.repeat))
        print(f"kedge apply (CLI): {cli:7.2f} s  ratio {cli / psql:.2f}x")
        kedge_plan, catalog = min(plans)
        print(f"no-op kedge plan of {2 * args.count + 1} resources: {kedge_plan:.2f} s; psql with the two "
              f"catalog queries {catalog:.3f} s; ratio {kedge_plan / catalog:.1f}x")
    if args.ansible:
        cli_full = cli if args.cli else None
        compare_ansible(args.count, args.ansible_count, args.repeat, args.ansible_repeat, kedge, cli_full)


if __name__ == "__main__":
    main()
