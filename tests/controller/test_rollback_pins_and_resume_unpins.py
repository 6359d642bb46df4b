"""Rollback re-applies an earlier revision and pins it; resume follows the branch again."""

from __future__ import annotations

import time

from tests.controller.conftest import app_spec, file_doc, wait_for


def test_rollback_then_resume(make_controller, repo, root) -> None:
    first = repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")}, "v1")
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == first)
    second = repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")}, "v2")
    wait_for(lambda: (root / "motd").read_text() == "v2\n")

    entry = next(h for h in controller.history("web") if h["revision"] == first)
    op = controller.rollback("web", entry["id"], actor="operator")
    assert op["type"] == "rollback" and op["state"] in ("queued", "running", "succeeded")
    wait_for(lambda: (root / "motd").read_text() == "v1\n", message="rolled back")
    view = controller.get_app("web")
    assert view["status"]["pinnedRevision"] == first
    assert controller.history("web")[0]["trigger"] == "rollback"
    wait_for(lambda: controller.operation(op["id"])["state"] == "succeeded")

    time.sleep(2)  # a poll happens meanwhile: the pin holds
    assert (root / "motd").read_text() == "v1\n"

    controller.resume("web", actor="operator")
    wait_for(lambda: (root / "motd").read_text() == "v2\n", message="resumed to the branch head")
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == second)


def test_manual_sync_of_a_given_revision(make_controller, repo, root) -> None:
    first = repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")}, "v1")
    repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")}, "v2")
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path, automated=False), actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "OutOfSync")
    assert not (root / "motd").exists(), "without automated sync nothing is applied"
    op = controller.sync("web", actor="operator", revision=first)
    wait_for(lambda: controller.operation(op["id"])["state"] == "succeeded")
    assert (root / "motd").read_text() == "v1\n"
    assert controller.history("web")[0]["trigger"] == "manual"
