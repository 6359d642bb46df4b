"""When a sync fails before anything is applied, the status says so: the commit that failed is
``lastAttemptedRevision``, the app is Degraded (red) and OutOfSync, History has a ``failed``
entry with the reason, Events a ``sync-failed`` event. A suspended app with a new commit is
OutOfSync; a rollback pins without being called a force-push, and self-heal goes on."""

from __future__ import annotations

from tests.controller.conftest import app_spec, file_doc, wait_for


def _ready(view: dict) -> dict:
    return next(c for c in view["status"]["conditions"] if c["type"] == "Ready")


def test_app_path_missing_at_a_new_commit(make_controller, repo, root) -> None:
    first = repo.commit({"web/app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller()
    controller.create_app(
        "web", {**app_spec(repo.path), "source": {**app_spec(repo.path)["source"], "path": "web"}}, actor="t"
    )
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == first, message="applied")

    broken = repo.commit({"web/app.yaml": None, "other.yaml": "x: 1\n"}, "move the app away")
    view = wait_for(
        lambda: (v := controller.get_app("web"))["status"]["lastAttemptedRevision"] == broken and v,
        message="attempted revision recorded",
    )
    status = view["status"]
    assert status["lastAppliedRevision"] == first
    assert (status["sync"], status["health"]) == ("OutOfSync", "Degraded")
    assert _ready(view)["reason"] == "SourceInvalid"
    [failed] = [h for h in controller.history("web") if h["result"] == "failed"]
    assert failed["revision"] == broken and failed["message"].startswith("SourceInvalid:")
    assert any(
        e["type"] == "sync-failed" and "SourceInvalid" in e["message"] for e in controller.events("web")
    )
    assert (root / "motd").read_text() == "hello\n", "nothing was pruned"


def test_render_error_is_a_failed_attempt(make_controller, repo, root) -> None:
    first = repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="t")
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == first, message="applied")

    bad = repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n") + "kind: File\nspec: [\n"}, "broken")
    view = wait_for(
        lambda: (v := controller.get_app("web"))["status"]["health"] == "Degraded" and v, message="degraded"
    )
    assert view["status"]["lastAttemptedRevision"] == bad
    assert view["status"]["sync"] == "OutOfSync"
    history = wait_for(lambda: [h for h in controller.history("web") if h["result"] == "failed"])
    assert history[0]["revision"] == bad and "app.yaml" in history[0]["message"]
    names = [c["type"] for c in view["status"]["conditions"]]
    assert "Stalled" in names and "Reconciling" not in names


def test_suspended_app_with_a_new_commit_is_out_of_sync(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "one\n")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="t")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "Synced", message="synced")
    controller.suspend("web", actor="t")
    repo.commit({"app.yaml": file_doc("motd", "motd", "two\n")}, "two")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "OutOfSync", message="OutOfSync")
    assert (root / "motd").read_text() == "one\n"


def test_rollback_pins_and_self_heal_keeps_the_pinned_revision(make_controller, repo, root) -> None:
    first = repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")}, "v1")
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="t")
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == first)
    repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")}, "v2")
    wait_for(lambda: (root / "motd").read_text() == "v2\n", message="v2 applied")

    entry = next(h for h in controller.history("web") if h["revision"] == first)
    controller.rollback("web", entry["id"], actor="operator")
    wait_for(lambda: (root / "motd").read_text() == "v1\n", message="rolled back")
    view = wait_for(lambda: (v := controller.get_app("web"))["status"]["lastAppliedRevision"] == first and v)
    assert view["status"]["pinnedRevision"] == first
    assert view["status"]["lastAttemptedRevision"] == first
    assert "pinned" in _ready(view)["message"]
    assert not [e for e in controller.events("web") if e["type"] == "force-push"]

    (root / "motd").write_text("tampered\n")
    wait_for(lambda: (root / "motd").read_text() == "v1\n", message="self-heal keeps the pinned revision")
