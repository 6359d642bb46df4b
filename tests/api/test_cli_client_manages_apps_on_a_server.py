"""``kedge app ...`` against a real server: create, list, get, sync --wait with progress,
history, diff, rollback, suspend/resume, delete; Rich tables by default, the API's JSON with
``-o json``; clear messages and exit 1 for a refused token, a missing server or a failure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kedge.cli import client as cli_client
from kedge.cli import main as cli_main
from kedge.store import Store
from tests.api.conftest import REPO, make_app
from tests.api.fakes import FakeControlPlane
from tests.api.server import serve
from tests.conftest import KedgeRun

if not any(group.name == "app" for group in cli_main.app.registered_groups):
    cli_client.register(cli_main.app, cli_main.handle_errors)


@pytest.fixture
def env(control: FakeControlPlane, store: Store, tokens: dict[str, str]) -> Iterator[dict[str, str]]:
    with serve(make_app(control, store)) as url:
        yield {"KEDGE_SERVER": url, "KEDGE_TOKEN": tokens["admin"]}


def test_create_list_get_and_delete(kedge: KedgeRun, env: dict[str, str], control: FakeControlPlane) -> None:
    made = kedge("app", "create", "shop", "--repo", REPO, "--path", "apps/shop", "--revision", "v1", env=env)
    assert made.exit_code == 0, made
    assert control.get_app("shop")["spec"]["source"] == {
        "repoURL": REPO,
        "path": "apps/shop",
        "targetRevision": "v1",
    }
    listed = kedge("app", "list", env=env)
    assert listed.exit_code == 0
    assert "shop" in listed.stdout and "OutOfSync" in listed.stdout and "NAME" in listed.stdout
    names = [a["name"] for a in json.loads(kedge("app", "list", "-o", "json", env=env).stdout)]
    assert names == ["payments", "payments-db", "shop", "web"]
    got = json.loads(kedge("app", "get", "shop", "-o", "json", env=env).stdout)
    assert got["status"]["sync"] == "OutOfSync"
    assert kedge("app", "delete", "shop", "--yes", env=env).exit_code == 0
    gone = kedge("app", "get", "shop", env=env)
    assert gone.exit_code == 1
    assert "no app named 'shop'" in gone.stderr


def test_create_from_an_application_file(
    kedge: KedgeRun, env: dict[str, str], control: FakeControlPlane, tmp_path: Path
) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_text(
        f"apiVersion: kedge.dev/v1\nkind: Application\nmetadata: {{name: x}}\n"
        f"spec:\n  source: {{repoURL: '{REPO}', path: apps/x}}\n  syncPolicy: {{prune: true}}\n"
    )
    assert kedge("app", "create", "from-file", "-f", str(manifest), env=env).exit_code == 0
    assert control.get_app("from-file")["spec"]["syncPolicy"] == {"prune": True}


def test_sync_wait_follows_the_operation_to_its_end(kedge: KedgeRun, env: dict[str, str]) -> None:
    result = kedge("app", "sync", "web", "--revision", "v7", "--wait", env=env)
    assert result.exit_code == 0, result
    assert "Sync succeeded" in result.stdout and "v7" in result.stdout
    op = json.loads(kedge("app", "sync", "web", "--wait", "-o", "json", env=env).stdout)
    assert op["state"] == "succeeded"
    history = json.loads(kedge("app", "history", "web", "-o", "json", env=env).stdout)
    assert [h["revision"].split("@")[0] for h in history] == ["main", "v7"]
    table = kedge("app", "history", "web", env=env).stdout
    assert "REVISION" in table and "succeeded" in table

    back = kedge("app", "rollback", "web", str(history[-1]["id"]), "--wait", env=env)
    assert back.exit_code == 0, back
    assert "Rollback succeeded" in back.stdout
    got = json.loads(kedge("app", "get", "web", "-o", "json", env=env).stdout)
    assert got["status"]["lastAppliedRevision"] == history[-1]["revision"]


def test_a_failed_sync_exits_1(kedge: KedgeRun, env: dict[str, str], control: FakeControlPlane) -> None:
    control.create_app("broken", {"source": {"repoURL": REPO}, "fail": True}, "test")
    result = kedge("app", "sync", "broken", "--wait", env=env)
    assert result.exit_code == 1
    assert "failed" in result.stderr


def test_diff_suspend_and_resume(kedge: KedgeRun, env: dict[str, str], control: FakeControlPlane) -> None:
    control.drift("web")
    diff = kedge("app", "diff", "web", "--detailed-exitcode", env=env)
    assert diff.exit_code == 2
    assert "File/motd" in diff.stdout and "(sensitive)" in diff.stdout
    assert json.loads(kedge("app", "diff", "web", "-o", "json", env=env).stdout)["summary"]["update"] == 1
    assert kedge("app", "suspend", "web", env=env).exit_code == 0
    assert control.get_app("web")["status"]["suspended"] is True
    assert kedge("app", "resume", "web", env=env).exit_code == 0
    assert control.get_app("web")["status"]["suspended"] is False


def test_clear_errors_for_the_usual_mistakes(
    kedge: KedgeRun, env: dict[str, str], tokens: dict[str, str]
) -> None:
    refused = kedge("app", "list", env={**env, "KEDGE_TOKEN": tokens["revoked"]})
    assert refused.exit_code == 1
    assert "unknown, expired or revoked" in refused.stderr
    assert tokens["revoked"] not in refused.output
    too_low = kedge("app", "sync", "web", env={**env, "KEDGE_TOKEN": tokens["viewer"]})
    assert too_low.exit_code == 1 and "operator" in too_low.stderr
    no_server = kedge("app", "list", env={"KEDGE_SERVER": "", "KEDGE_TOKEN": "x"})
    assert no_server.exit_code == 1 and "--server" in no_server.stderr
    down = kedge("app", "list", env={"KEDGE_SERVER": "http://127.0.0.1:9", "KEDGE_TOKEN": "x"})
    assert down.exit_code == 1 and "cannot reach the server" in down.stderr
    invalid = kedge("app", "create", "Bad_Name", "--repo", REPO, env=env)
    assert invalid.exit_code == 1 and "body.name" in invalid.stderr
