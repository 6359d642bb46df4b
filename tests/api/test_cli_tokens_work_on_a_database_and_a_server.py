"""``kedge token create|list|revoke``: directly on a state database (how the first token is made)
and through a server; the token is printed once, alone on stdout; changes are audited."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kedge.cli import client as cli_client
from kedge.cli import main as cli_main
from kedge.store import Store
from tests.api.conftest import ADMIN_TOKEN, make_app
from tests.api.fakes import FakeControlPlane
from tests.api.server import serve
from tests.conftest import KedgeRun

if not any(group.name == "token" for group in cli_main.app.registered_groups):
    cli_client.register(cli_main.app, cli_main.handle_errors)


def test_bootstrap_a_token_on_the_database_then_use_it(
    kedge: KedgeRun, tmp_path: Path, migrated_db: Path, control: FakeControlPlane
) -> None:
    db = tmp_path / "state.db"
    shutil.copyfile(migrated_db, db)
    made = kedge(
        "token",
        "create",
        "--name",
        "alice",
        "--role",
        "operator",
        "--expires-in",
        "30d",
        "--apps",
        "pay-*,web",
        "--db",
        str(db),
        env={"KEDGE_SERVER": ""},
    )
    assert made.exit_code == 0, made
    token = made.stdout.strip()
    assert token.startswith("kedge_") and "\n" not in token
    assert "not shown again" in made.stderr
    with Store.open(str(db)) as store:
        record = store.verify_token(token)
        assert record is not None and (record.role, record.apps) == ("operator", ["pay-*", "web"])
        entry = store.audit_entries()[0]
        assert (entry.action, entry.details["name"]) == ("token.create", "alice")
        assert entry.actor.startswith("cli")
        with serve(make_app(control, store)) as url:
            listed = kedge("app", "list", "-o", "json", env={"KEDGE_SERVER": url, "KEDGE_TOKEN": token})
    assert [a["name"] for a in json.loads(listed.stdout)] == ["web"]

    table = kedge("token", "list", "--db", str(db))
    assert "alice" in table.stdout and token not in table.stdout
    assert kedge("token", "revoke", "alice", "--db", str(db)).exit_code == 0
    assert kedge("token", "revoke", "alice", "--db", str(db)).exit_code == 1
    with Store.open(str(db)) as store:
        assert store.verify_token(token) is None


def test_manage_tokens_through_the_server(kedge: KedgeRun, control: FakeControlPlane, store: Store) -> None:
    with serve(make_app(control, store)) as url:
        env = {"KEDGE_SERVER": url, "KEDGE_TOKEN": ADMIN_TOKEN}
        made = kedge("token", "create", "--name", "ci", "--role", "viewer", "-o", "json", env=env)
        assert made.exit_code == 0, made
        created = json.loads(made.stdout)
        assert store.verify_token(created["token"]) is not None
        names = [t["name"] for t in json.loads(kedge("token", "list", "-o", "json", env=env).stdout)]
        assert "ci" in names
        assert kedge("token", "revoke", "ci", env=env).exit_code == 0
        assert store.verify_token(created["token"]) is None
        bad = kedge("token", "create", "--name", "x", "--role", "root", env=env)
        assert bad.exit_code == 1 and "viewer, operator or admin" in bad.stderr


def test_audit_list_reads_a_server(kedge: KedgeRun, control: FakeControlPlane, store: Store) -> None:
    from kedge.cli import audit as cli_audit

    if not any(group.name == "audit" for group in cli_main.app.registered_groups):
        cli_audit.register(cli_main.app, cli_main.handle_errors)
    store.audit("controller", "sync", app="web", revision="abc123")
    store.audit("token:ops", "rollback", app="payments", revision="def456")
    with serve(make_app(control, store)) as url:
        env = {"KEDGE_SERVER": url, "KEDGE_TOKEN": ADMIN_TOKEN}
        listed = kedge("audit", "list", "--app", "web", "-o", "json", env=env)
        table = kedge("audit", "list", "--limit", "1", env=env)
    assert listed.exit_code == 0, listed
    assert [(e["action"], e["app"], e["revision"]) for e in json.loads(listed.stdout)] == [
        ("sync", "web", "abc123")
    ]
    assert table.exit_code == 0 and "seq" in table.stdout and "sync" not in table.stdout
