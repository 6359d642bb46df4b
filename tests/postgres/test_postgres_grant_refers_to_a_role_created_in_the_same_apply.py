"""A Grant whose role is ``fromResource`` of a Role created by the same apply: the plan shows the
grant as known after apply (no preview error), the apply orders it after the role, and a second
plan is empty."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres


def test_grant_to_a_role_created_in_the_same_apply(kedge, pg_cluster, pg_name, tmp_path: Path) -> None:
    db = pg_cluster.create_database(pg_name)
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.yaml").write_text(textwrap.dedent(f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec: {{provider: postgres, settings: {{dsn: "{pg_cluster.dsn()}"}}}}
        ---
        apiVersion: postgres.kedge.dev/v1
        kind: Role
        metadata: {{name: {pg_name}_reader}}
        spec: {{login: true}}
        ---
        apiVersion: postgres.kedge.dev/v1
        kind: Grant
        metadata: {{name: reader-connect}}
        spec:
          role: {{fromResource: {{kind: Role, name: {pg_name}_reader, field: name}}}}
          database: {db}
          on: database
          privileges: [CONNECT]
    """).lstrip())
    plan = kedge("plan", app, "-o", "json")
    assert plan.exit_code == 0, plan
    assert json.loads(plan.stdout)["summary"]["create"] == 2
    applied = kedge("apply", app, "--auto-approve")
    assert applied.exit_code == 0, applied
    again = kedge("plan", app, "--detailed-exitcode")
    assert again.exit_code == 0, again
    with pg_cluster.connect(db) as conn:
        row = conn.execute("select has_database_privilege(%s, %s, 'CONNECT')", (f"{pg_name}_reader", db)).fetchone()
    assert row and row[0] is True
