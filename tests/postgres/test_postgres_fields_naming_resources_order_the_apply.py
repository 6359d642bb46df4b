"""Fields that name another resource of the app by its real name order the apply as a reference
would: many Roles and Grants whose ``role:`` is the plain role name converge in one apply, and
the plan shows the inferred edges as ``dependsOn``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

# The full-size case (1,000 roles and 1,000 grants) is the same test with N = 1000; a smaller N
# keeps the suite quick on a shared machine while still running far more grants than workers.
N = 120


def _manifests(dsn: str, prefix: str, db: str) -> str:
    docs = [
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f'spec: {{provider: postgres, settings: {{dsn: "{dsn}"}}}}\n',
        f"apiVersion: postgres.kedge.dev/v1\nkind: Role\nmetadata: {{name: {prefix}_owner}}\nspec: {{}}\n",
        f"apiVersion: postgres.kedge.dev/v1\nkind: Database\nmetadata: {{name: {db}}}\n"
        f"spec: {{owner: {prefix}_owner}}\n",
        f"apiVersion: postgres.kedge.dev/v1\nkind: Schema\nmetadata: {{name: {prefix}_s}}\n"
        f"spec: {{database: {db}, owner: {prefix}_owner}}\n",
    ]
    for i in range(N):
        docs.append(
            f"apiVersion: postgres.kedge.dev/v1\nkind: Role\nmetadata: {{name: {prefix}_r{i}}}\n"
            "spec: {login: true}\n"
        )
        docs.append(
            f"apiVersion: postgres.kedge.dev/v1\nkind: Grant\nmetadata: {{name: g{i}}}\n"
            f"spec: {{role: {prefix}_r{i}, database: {db}, on: database, privileges: [CONNECT]}}\n"
        )
    return "---\n".join(docs)


def test_grants_naming_roles_by_name_converge_in_one_apply(
    kedge, pg_cluster, pg_name, tmp_path: Path
) -> None:
    db = f"{pg_name}_db"
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.yaml").write_text(_manifests(pg_cluster.dsn(), pg_name, db))

    plan = kedge("plan", app, "-o", "json")
    assert plan.exit_code == 0, plan
    changes = {(c["kind"], c["name"]): c for c in json.loads(plan.stdout)["changes"]}
    assert changes[("Grant", "g7")]["dependsOn"] == [f"Database/{db}", f"Role/{pg_name}_r7"]
    assert changes[("Database", db)]["dependsOn"] == [f"Role/{pg_name}_owner"]
    assert changes[("Schema", f"{pg_name}_s")]["dependsOn"] == [f"Database/{db}", f"Role/{pg_name}_owner"]
    assert "dependsOn" not in changes[("Role", f"{pg_name}_r7")]

    applied = kedge("apply", app, "--auto-approve")
    assert applied.exit_code == 0, applied
    assert f"{3 + 2 * N} succeeded, 0 failed" in applied.stdout

    again = kedge("plan", app, "--detailed-exitcode")
    assert again.exit_code == 0, again
    with pg_cluster.connect(db) as conn:
        granted = conn.execute(
            "select count(*) from pg_roles where rolname like %s and has_database_privilege(oid, %s, 'CONNECT')",
            (f"{pg_name}_r%", db),
        ).fetchone()
    assert granted == (N,)


def test_a_name_outside_the_app_adds_no_edge(kedge, pg_cluster, pg_name, tmp_path: Path) -> None:
    db = pg_cluster.create_database(pg_name)
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.yaml").write_text(
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f'spec: {{provider: postgres, settings: {{dsn: "{pg_cluster.dsn()}"}}}}\n---\n'
        "apiVersion: postgres.kedge.dev/v1\nkind: Grant\nmetadata: {name: to-public-db}\n"
        f"spec: {{role: postgres, database: {db}, on: database, privileges: [CONNECT]}}\n"
    )
    plan = kedge("plan", app, "-o", "json")
    assert plan.exit_code == 0, plan
    [change] = json.loads(plan.stdout)["changes"]
    assert "dependsOn" not in change
