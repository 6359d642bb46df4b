"""Faults: an unreachable source, a conflict between apps, a force-push, concurrent triggers."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from kedge.model import ConfigError
from tests.controller.conftest import app_spec, file_doc, wait_for


def test_unreachable_source_is_stale_and_prunes_nothing(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path, prune=True), actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "Synced")
    shutil.rmtree(repo.path)
    shutil.rmtree(controller.sources.git.root, ignore_errors=True) if hasattr(
        controller.sources.git, "root"
    ) else None
    controller.sync("web", actor="tester")
    ready = wait_for(
        lambda: next(
            (
                c
                for c in controller.get_app("web")["status"]["conditions"]
                if c["type"] == "Ready" and c["reason"] == "Stale"
            ),
            None,
        )
    )
    assert ready["status"] == "False"
    assert (root / "motd").read_text() == "hello\n", "live state untouched"


def test_two_apps_declaring_one_file_conflict_and_neither_changes_it(
    make_controller, repo, root, tmp_path
) -> None:
    from tests.controller.conftest import GitRepo

    repo.commit({"app.yaml": file_doc("motd", "motd", "from-a\n")})
    other = GitRepo(tmp_path / "other")
    other.commit({"app.yaml": file_doc("banner", "motd", "from-b\n")})
    controller = make_controller()
    controller.create_app("a", app_spec(repo.path), actor="tester")
    wait_for(lambda: controller.get_app("a")["status"]["sync"] == "Synced")
    controller.create_app("b", app_spec(other.path), actor="tester")
    ready = wait_for(
        lambda: next(
            (
                c
                for c in controller.get_app("b")["status"]["conditions"]
                if c["type"] == "Ready" and c["status"] == "False"
            ),
            None,
        )
    )
    assert ready["reason"] == "Conflict" and "owned by app 'a'" in ready["message"]
    time.sleep(0.5)
    assert (root / "motd").read_text() == "from-a\n"


def test_force_push_is_detected_and_recorded(make_controller, repo, root) -> None:
    first = repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")}, "v1")
    repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")}, "v2")
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="tester")
    wait_for(lambda: (root / "motd").exists() and (root / "motd").read_text() == "v2\n")
    repo.reset_hard(first)
    repo.commit({"app.yaml": file_doc("motd", "motd", "v3\n")}, "rewritten")
    wait_for(lambda: (root / "motd").read_text() == "v3\n")
    assert wait_for(lambda: [e for e in controller.events("web") if e["type"] == "force-push"])


def test_concurrent_syncs_of_one_app_run_one_at_a_time_and_none_is_lost(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path, automated=False), actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "OutOfSync")

    running = []
    peak = []
    original = controller.reconciler.reconcile

    def counting(*args, **kwargs):
        running.append(1)
        peak.append(len(running))
        try:
            time.sleep(0.05)
            return original(*args, **kwargs)
        finally:
            running.pop()

    controller.reconciler.reconcile = counting
    ops = []
    threads = [
        threading.Thread(target=lambda: ops.append(controller.sync("web", actor="tester"))) for _ in range(5)
    ]
    threads += [
        threading.Thread(
            target=lambda: controller.webhook(
                {"ref": "refs/heads/main", "repository": {"clone_url": str(repo.path)}}
            )
        )
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for op in ops:
        wait_for(lambda op=op: controller.operation(op["id"])["state"] in ("succeeded", "failed"))
    assert max(peak) == 1, "exactly one reconcile of an app at a time"
    assert all(controller.operation(op["id"])["state"] == "succeeded" for op in ops)
    assert (root / "motd").read_text() == "hello\n"


@pytest.mark.parametrize(
    "source,field",
    [
        ({"repoURL": "ext::sh -c touch% /tmp/pwned", "targetRevision": "main"}, "repoURL"),
        ({"repoURL": "--upload-pack=touch /tmp/pwned", "targetRevision": "main"}, "repoURL"),
        (
            {"repoURL": "https://example.invalid/repo.git", "targetRevision": "--upload-pack=touch /tmp/x"},
            "targetRevision",
        ),
        ({"repoURL": "https://example.invalid/repo.git", "targetRevision": "main..other"}, "targetRevision"),
    ],
    ids=["ext-url", "dash-url", "dash-ref", "dotdot-ref"],
)
def test_dangerous_urls_and_refs_are_refused_before_git_sees_them(make_controller, source, field) -> None:
    controller = make_controller(start=False)
    with pytest.raises(ConfigError) as err:
        controller.create_app("web", {"source": source}, actor="tester")
    assert f"spec.source.{field}" in str(err.value)
    assert controller.store.get_app("web") is None


def test_app_whose_path_is_missing_reports_it(make_controller, repo) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller()
    spec = app_spec(repo.path)
    spec["source"]["path"] = "does/not/exist"
    controller.create_app("web", spec, actor="tester")
    ready = wait_for(
        lambda: next(
            (
                c
                for c in controller.get_app("web")["status"]["conditions"]
                if c["type"] == "Ready" and c["status"] == "False"
            ),
            None,
        )
    )
    assert "does/not/exist" in ready["message"]


POLICY = """
apiVersion: kedge.dev/v1
kind: Policy
metadata: {name: guardrails}
spec:
  rules:
    - name: no-secrets-dir
      kinds: [File]
      deny: "change.action == 'create' && change.after.path.startsWith('secrets/')"
      message: files under secrets/ are managed by the vault team
---
"""


def test_policy_denial_blocks_the_sync_with_a_condition_and_an_audit_entry(
    make_controller, repo, root
) -> None:
    repo.commit(
        {"app.yaml": POLICY + file_doc("ok", "ok.txt", "fine\n") + file_doc("key", "secrets/key", "x\n")}
    )
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="tester")
    ready = wait_for(
        lambda: next(
            (
                c
                for c in controller.get_app("web")["status"]["conditions"]
                if c["type"] == "Ready" and c["reason"] == "PolicyDenied"
            ),
            None,
        )
    )
    assert "vault team" in ready["message"]
    assert not (root / "secrets").exists() and not (root / "ok.txt").exists(), "a denied plan applies nothing"
    entries = controller.store.audit_entries(app="web")
    assert any(e.action == "policy-denied" for e in entries)
