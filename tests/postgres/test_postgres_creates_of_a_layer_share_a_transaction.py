"""The creates of one dependency layer go to PostgreSQL together: one transaction per database,
and grants that differ only in their grantee as one ``GRANT ... TO r1, ..., rN``. When any
statement of a batch fails, nothing of it stays: the objects are created one by one and only the
failing resource is reported, naming its own error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kedge.engine import Engine
from kedge.store import Store

pytestmark = pytest.mark.postgres


def test_a_batch_of_roles_and_grants_is_two_round_trips(kit, pg_cluster, pg_name) -> None:
    db = pg_cluster.create_database(pg_name)
    roles = [kit.target("Role", kit.n(f"r{i}"), {"login": True}) for i in range(5)]
    grants = [
        kit.target("Grant", f"g{i}", {"role": kit.n(f"r{i}"), "on": "database", "database": db,
                                      "privileges": ["CONNECT"]})
        for i in range(5)
    ]
    before = kit.client.queries
    created = kit.client.create_many([*roles, *grants])
    assert set(created) == {t.key for t in [*roles, *grants]}
    assert kit.client.queries - before <= 3  # the grant handler may ask who it is, once
    observed = kit.client.observe_many("Grant", grants)
    assert all(observed[g.key].exists and observed[g.key].state["privileges"] == ["CONNECT"] for g in grants)
    [[acl]] = kit.sql("SELECT datacl::text FROM pg_database WHERE datname = %s", params=(db,))
    assert all(f"{kit.n(f'r{i}')}=c/" in acl for i in range(5)), acl


def test_a_failing_statement_leaves_nothing_of_its_batch(kit, pg_name) -> None:
    taken = kit.n("taken")
    kit.sql(f'CREATE ROLE "{taken}"')
    fresh = kit.target("Role", kit.n("fresh"), {"login": True})
    clash = kit.target("Role", taken, {"login": True})
    assert kit.client.create_many([fresh, clash]) == {}
    assert not kit.client.observe_many("Role", [fresh])[fresh.key].exists  # rolled back with the clash


def test_the_engine_reports_only_the_failing_create(pg_cluster, pg_name, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    docs = [
        f"apiVersion: postgres.kedge.dev/v1\nkind: Role\nmetadata: {{name: {pg_name}_r{i}}}\n"
        "spec: {login: true}\n"
        for i in range(6)
    ]
    (app / "app.yaml").write_text(textwrap.dedent(f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec: {{provider: postgres, settings: {{dsn: "{pg_cluster.dsn()}"}}}}
        ---
    """).lstrip() + "---\n".join(docs))
    engine = Engine(Store.open(str(tmp_path / "state.db")))
    try:
        run = engine.plan("batch", app)
        assert run.plan.ok and len([c for c in run.plan.changes if c.is_change]) == 6
        with pg_cluster.connect() as conn:  # someone takes one name between plan and apply
            conn.execute(f'CREATE ROLE "{pg_name}_r3"')
        outcome = engine.apply(run)
        engine.finish(run)
        [failed] = outcome.failed
        assert failed.change.key.name == f"{pg_name}_r3"
        assert "already exists" in (failed.error or "")
        owned = {e.key.name for e in engine.store.inventory("batch")}
        assert owned == {f"{pg_name}_r{i}" for i in range(6)} - {f"{pg_name}_r3"}
        again = engine.plan("batch", app)
        engine.finish(again)
        # Only r3 is left (its create intent stands, so the next apply takes it over).
        assert [c.key.name for c in again.plan.changes if c.is_change] == [f"{pg_name}_r3"]
    finally:
        engine.close()
