"""Connections to PostgreSQL reset mid-transaction or slowed down: Kedge converges afterwards,
leaves nothing untracked, and never reads a broken connection as "gone" (so never prunes).

A TCP proxy sits between `kedge apply` and the throwaway cluster. Resets come at byte offsets
that move from run to run, so they land in the login, in an observe query, in a CREATE ROLE or
between a statement and its COMMIT.
"""

from __future__ import annotations

import json
import textwrap

import pytest

pytestmark = pytest.mark.postgres

PROVIDER = """
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {name: default}
spec:
  provider: postgres
  settings:
    dsn: {fromEnv: KEDGE_PG_DSN}
    connectTimeout: 2
"""
ROLES = 12


def roles(prefix: str, count: int) -> str:
    return "".join(
        textwrap.dedent(f"""
        ---
        apiVersion: postgres.kedge.dev/v1
        kind: Role
        metadata: {{name: {prefix}-r{i}}}
        spec: {{login: false, connectionLimit: {i}}}
        """)
        for i in range(count)
    )


@pytest.fixture
def faulty_app(tmp_path, pg_cluster, pg_fault_proxy, pg_name, kedge):
    app = tmp_path / "app"
    app.mkdir()
    (app / "provider.yaml").write_text(PROVIDER)

    def write(count: int) -> None:
        (app / "roles.yaml").write_text(roles(pg_name, count))

    def run(*args: str, direct: bool = False):
        dsn = pg_cluster.dsn() if direct else pg_fault_proxy.dsn(pg_cluster.dsn())
        return kedge(*args, app, "--db", str(tmp_path / "state.db"), env={"KEDGE_PG_DSN": dsn})

    return write, run


def _existing(pg_cluster, prefix: str) -> set[str]:
    with pg_cluster.connect() as conn:
        rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (prefix + "-r%",))
        return {r[0] for r in rows}


def test_resets_at_moving_points_end_converged_with_nothing_untracked(
    faulty_app, pg_fault_proxy, pg_cluster, pg_name
) -> None:
    write, run = faulty_app
    write(ROLES)
    outcomes = []
    for offset in range(200, 4200, 400):  # from the start-up packet to deep into the creates
        pg_fault_proxy.reset_after, pg_fault_proxy.reset_jitter = offset, 300
        result = run("apply", "--auto-approve")
        assert result.exit_code in (0, 1), result
        assert "Traceback" not in result.output
        outcomes.append(result.exit_code)
    assert pg_fault_proxy.resets >= 5 and 1 in outcomes

    pg_fault_proxy.heal()
    healed = run("apply", "--auto-approve")
    assert healed.exit_code == 0, healed
    assert _existing(pg_cluster, pg_name) == {f"{pg_name}-r{i}" for i in range(ROLES)}
    plan = run("plan", "-o", "json", "--detailed-exitcode")
    assert plan.exit_code == 0, plan
    assert json.loads(plan.stdout)["summary"]["noop"] == ROLES  # every role tracked, none twice


def test_a_broken_connection_never_prunes(faulty_app, pg_fault_proxy, pg_cluster, pg_name) -> None:
    write, run = faulty_app
    write(ROLES)
    assert run("apply", "--auto-approve", direct=True).exit_code == 0
    write(ROLES - 3)  # three roles leave git: a prune of three is allowed
    for offset in (0, 150, 600, 1500):
        pg_fault_proxy.reset_after, pg_fault_proxy.reset_jitter = offset, 0
        result = run("apply", "--auto-approve", "--prune")
        assert "Traceback" not in result.output
        if result.exit_code == 0:  # the reset came after every observation: a real, complete prune
            break
        # A failed run may have deleted some of the three (a reset during the deletes), never a
        # role that git still declares: a broken observation is not read as "gone".
        assert _existing(pg_cluster, pg_name) >= {f"{pg_name}-r{i}" for i in range(ROLES - 3)}
    pg_fault_proxy.heal()
    assert run("apply", "--auto-approve", "--prune").exit_code == 0
    assert _existing(pg_cluster, pg_name) == {f"{pg_name}-r{i}" for i in range(ROLES - 3)}


def test_a_slow_link_still_converges(faulty_app, pg_fault_proxy, pg_cluster, pg_name) -> None:
    write, run = faulty_app
    write(4)
    pg_fault_proxy.delay = 0.02
    result = run("apply", "--auto-approve")
    assert result.exit_code == 0, result
    assert run("plan", "--detailed-exitcode").exit_code == 0
    assert len(_existing(pg_cluster, pg_name)) == 4
