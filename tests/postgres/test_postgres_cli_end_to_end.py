"""End to end through the CLI: apply -> plan empty; drift -> apply reverts; destructive gated."""

import json
import textwrap

import pytest

PROVIDER = """
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {name: default}
spec:
  provider: postgres
  settings:
    dsn: {fromEnv: KEDGE_PG_DSN}
"""

RESOURCES = """
apiVersion: postgres.kedge.dev/v1
kind: Role
metadata: {name: NAME-owner}
spec:
  login: true
  password: {fromEnv: KEDGE_APP_PW}
---
apiVersion: postgres.kedge.dev/v1
kind: Database
metadata:
  name: NAME_db
  annotations: {kedge.dev/depends-on: "Role/NAME-owner"}
spec:
  owner: NAME-owner
---
apiVersion: postgres.kedge.dev/v1
kind: Grant
metadata:
  name: NAME-no-public
  annotations: {kedge.dev/depends-on: "Database/NAME_db"}
spec: {role: PUBLIC, on: database, database: NAME_db, privileges: []}
---
apiVersion: postgres.kedge.dev/v1
kind: Table
metadata:
  name: users
  annotations: {kedge.dev/depends-on: "Database/NAME_db"ANNOTATION}
spec:
  database: NAME_db
  columns:
    - {name: id, type: int8, primaryKey: true, identity: byDefault}
    - {name: email, type: varchar(200), nullable: false}
  indexes:
    - {name: users_email_idx, columns: [email], unique: true}
"""


@pytest.fixture
def app(tmp_path, pg_cluster, pg_name, kedge):
    def write(annotation=""):
        (tmp_path / "app").mkdir(exist_ok=True)
        (tmp_path / "app" / "provider.yaml").write_text(PROVIDER)
        body = RESOURCES.replace("NAME", pg_name).replace("ANNOTATION", annotation)
        (tmp_path / "app" / "resources.yaml").write_text(textwrap.dedent(body))
        return tmp_path / "app"

    env = {"KEDGE_PG_DSN": pg_cluster.dsn(), "KEDGE_APP_PW": "app-secret-pw-1"}

    def run(*args):
        return kedge(*args, "--db", str(tmp_path / "state.db"), env=env)

    return write, run, f"{pg_name}_db"


def test_apply_then_plan_is_empty(app):
    write, run, _db = app
    path = write()
    applied = run("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied
    assert "app-secret-pw-1" not in applied.output
    plan = run("plan", path, "-o", "json")
    assert plan.exit_code == 0, plan
    assert json.loads(plan.stdout)["summary"] == {
        "create": 0,
        "update": 0,
        "replace": 0,
        "delete": 0,
        "noop": 4,
    }


def test_drift_is_reported_and_reverted(app, kit):
    write, run, db = app
    path = write(', kedge.dev/allow-destructive: "true"')
    assert run("apply", path, "--auto-approve").exit_code == 0
    kit.sql("ALTER TABLE users ADD COLUMN sneaky text", db)
    kit.sql(f'GRANT CONNECT ON DATABASE "{db}" TO PUBLIC')
    drift = run("drift", path, "-o", "json")
    assert drift.exit_code == 2, drift
    drifted = {d["kind"]: d for d in json.loads(drift.stdout)["drifted"]}
    assert set(drifted) == {"Table", "Grant"}
    assert run("apply", path, "--auto-approve").exit_code == 0
    assert run("drift", path).exit_code == 0
    assert kit.sql(
        "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'sneaky'", db
    ) == [(0,)]


def test_destructive_revert_needs_the_annotation(app, kit):
    write, run, db = app
    path = write()
    assert run("apply", path, "--auto-approve").exit_code == 0
    kit.sql("ALTER TABLE users ADD COLUMN sneaky text", db)
    result = run("apply", path, "--auto-approve")
    assert result.exit_code == 1
    assert "Table/users" in result.output and "allow-destructive" in result.output
    assert kit.sql(
        "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'sneaky'", db
    ) == [(1,)]
