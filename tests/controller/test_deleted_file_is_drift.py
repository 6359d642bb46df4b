"""A file deleted by hand and recreated by self-heal is drift: a drift event saying ``missing``,
an entry in the drift timeline that closes when it is reverted, and a ``drift-detected`` audit
entry; the same in ``kedge drift`` (listed as missing)."""

from __future__ import annotations

from tests.controller.conftest import app_spec, file_doc, wait_for


def test_deleted_file_recreated_by_self_heal_is_recorded_as_drift(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "Synced", message="synced")

    (root / "motd").unlink()
    wait_for(lambda: (root / "motd").exists(), message="recreated by self-heal")
    [event] = wait_for(
        lambda: [e for e in controller.events("web") if e["type"] == "drift" and e["revertedAt"]],
        message="drift event reverted",
    )
    assert event["resource"] == {"kind": "File", "name": "motd"}
    assert "missing" in event["message"]
    audit = [(e.action, e.resource) for e in controller.store.audit_entries(app="web")]
    assert ("drift-detected", "File/motd") in audit
    assert ("drift-reverted", "File/motd") in audit
