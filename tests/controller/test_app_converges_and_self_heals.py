"""An app declared through the control plane converges, and drift is reverted (or only reported)."""

from __future__ import annotations

from tests.controller.conftest import app_spec, file_doc, wait_for


def test_new_app_is_applied_and_reports_synced_and_healthy(make_controller, repo, root) -> None:
    sha = repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="tester")

    wait_for(lambda: (root / "motd").exists(), message="file created")
    view = wait_for(lambda: (v := controller.get_app("web"))["status"]["sync"] == "Synced" and v)
    assert view["status"]["health"] == "Healthy"
    assert view["status"]["lastAppliedRevision"] == sha
    assert view["status"]["lastAttemptedRevision"] == sha
    ready = next(c for c in view["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"
    history = controller.history("web")
    assert history[0]["revision"] == sha and history[0]["result"] == "succeeded"


def test_manual_change_is_reverted_by_self_heal_and_recorded_as_drift(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "Synced")

    (root / "motd").write_text("tampered\n")
    wait_for(lambda: (root / "motd").read_text() == "hello\n", message="drift reverted by the watch")
    events = wait_for(
        lambda: [e for e in controller.events("web") if e["type"] == "drift" and e["revertedAt"]]
    )
    event = events[0]
    assert event["resource"] == {"kind": "File", "name": "motd"}
    assert [f["path"] for f in event["fields"]] == ["content"]
    assert event["detectedAt"] <= event["revertedAt"]
    assert any(h["trigger"] == "drift" for h in controller.history("web"))


def test_without_self_heal_drift_is_reported_and_left_alone(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path, selfHeal=False), actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "Synced")

    (root / "motd").write_text("tampered\n")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "OutOfSync", message="OutOfSync")
    assert (root / "motd").read_text() == "tampered\n"
    [event] = [e for e in controller.events("web") if e["type"] == "drift"]
    assert event["revertedAt"] is None


def test_new_commit_is_applied_by_polling(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "one\n")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="tester")
    wait_for(lambda: (root / "motd").exists())
    sha = repo.commit({"app.yaml": file_doc("motd", "motd", "two\n")}, "two")
    wait_for(lambda: (root / "motd").read_text() == "two\n", message="commit applied")
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == sha)
    assert controller.history("web")[0]["trigger"] == "commit"


def test_suspended_app_is_left_alone(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "Synced")
    controller.suspend("web", actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["suspended"], message="suspended")
    # Reconciles started after the edit: the watch wakes the app; none may revert the edit.
    finished: list[str] = []
    real = controller.reconciler.reconcile

    def reconcile(name, reasons, op=None):  # type: ignore[no-untyped-def]
        try:
            return real(name, reasons, op)
        finally:
            finished.append(name)

    controller.reconciler.reconcile = reconcile
    (root / "motd").write_text("tampered\n")
    controller.queue.add("web", reason="drift")  # a sweep too, whether or not the watch fires
    wait_for(lambda: finished, message="a reconcile of the suspended app ran after the edit")
    assert (root / "motd").read_text() == "tampered\n"
    controller.resume("web", actor="tester")
    wait_for(lambda: (root / "motd").read_text() == "hello\n", message="resumed and reverted")
