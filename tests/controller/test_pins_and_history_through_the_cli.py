"""Through ``kedge app`` against a real controller: a rollback shows as "Pinned to <revision>"
with how to unpin in ``app get`` and ``app list``; History filters by trigger and pages."""

from __future__ import annotations

import json

from kedge.api.asgi import create_asgi_app
from kedge.cli import client as cli_client
from kedge.cli import main as cli_main
from tests.api.server import serve
from tests.controller.conftest import app_spec, file_doc, wait_for

if not any(group.name == "app" for group in cli_main.app.registered_groups):
    cli_client.register(cli_main.app, cli_main.handle_errors)

TOKEN = "pins-and-history-admin-token-0123456789"


def test_rollback_is_shown_as_a_pin_and_history_filters(kedge, make_controller, repo, root) -> None:
    first = repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")}, "v1")
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="t")
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == first, message="v1")
    repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")}, "v2")
    wait_for(lambda: (root / "motd").read_text() == "v2\n", message="v2")
    (root / "motd").write_text("tampered\n")
    wait_for(lambda: (root / "motd").read_text() == "v2\n", message="self-heal")

    api = create_asgi_app(controller, controller.store, admin_token=TOKEN, webhook_secret="unused-secret")
    with serve(api) as url:
        env = {"KEDGE_SERVER": url, "KEDGE_TOKEN": TOKEN, "COLUMNS": "250"}
        entries = json.loads(kedge("app", "history", "web", "-o", "json", env=env).stdout)
        entry = next(h for h in entries if h["revision"] == first)
        assert kedge("app", "rollback", "web", str(entry["id"]), "--wait", env=env).exit_code == 0
        wait_for(
            lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == first, message="rolled"
        )

        got = kedge("app", "get", "web", env=env)
        assert got.exit_code == 0, got
        assert f"Pinned to {first}" in got.stdout
        assert "kedge app resume web" in got.stdout
        listed = kedge("app", "list", env=env)
        assert f"pinned to {first[:12]}" in listed.stdout

        drift = json.loads(kedge("app", "history", "web", "--trigger", "drift", "-o", "json", env=env).stdout)
        assert drift and {h["trigger"] for h in drift} == {"drift"}
        everything = json.loads(kedge("app", "history", "web", "-o", "json", env=env).stdout)
        assert len(everything) >= 4 and everything[0]["trigger"] == "rollback"
        second_page = json.loads(
            kedge("app", "history", "web", "--limit", "1", "--page", "2", "-o", "json", env=env).stdout
        )
        assert [h["id"] for h in second_page] == [everything[1]["id"]]

        assert kedge("app", "resume", "web", env=env).exit_code == 0
        wait_for(lambda: (root / "motd").read_text() == "v2\n", message="resumed")
        assert "Pinned" not in kedge("app", "get", "web", env=env).stdout


def test_app_diff_never_says_no_changes_under_an_error(kedge, make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")}, "v1")
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="t")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "Synced", message="synced")
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n") + "kind: File\nspec: [\n"}, "broken")
    wait_for(lambda: controller.get_app("web")["status"]["health"] == "Degraded", message="degraded")

    api = create_asgi_app(controller, controller.store, admin_token=TOKEN, webhook_secret="unused-secret")
    with serve(api) as url:
        env = {"KEDGE_SERVER": url, "KEDGE_TOKEN": TOKEN, "COLUMNS": "250"}
        diff = kedge("app", "diff", "web", env=env)
        assert diff.exit_code == 1, diff
        assert "app.yaml" in diff.stderr and "No changes" not in diff.stdout
        got = kedge("app", "get", "web", env=env)
        assert "Degraded" in got.stdout and "Stalled=True" in got.stdout
        failed = json.loads(kedge("app", "history", "web", "-o", "json", env=env).stdout)[0]
        assert failed["result"] == "failed" and failed["message"].startswith("PlanFailed:")
