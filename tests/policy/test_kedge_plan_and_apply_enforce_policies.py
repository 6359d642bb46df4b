"""End to end with the local provider: `kedge plan` shows denials and exits 1, `kedge apply` refuses."""

from __future__ import annotations

import json

from tests.conftest import write

FILES = """
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: world, labels: {team: web}}
spec: {path: world.txt, content: "hi\\n", mode: "0666"}
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: private}
spec: {path: private.txt, content: "hi\\n", mode: "0600"}
"""

POLICY = """
apiVersion: kedge.dev/v1
kind: Policy
metadata: {name: files}
spec:
  rules:
    - name: no-world-writable
      kinds: [File]
      deny: "change.action != 'delete' && change.after.mode.endsWith('6')"
      message: files must not be world-writable
    - name: label-owner
      kinds: [File]
      warn: "!has(change.labels.team)"
      message: say which team owns the file
"""


def test_plan_shows_the_denial_at_the_policy_line_and_exits_1(kedge, local_app) -> None:
    app, root = local_app(FILES)
    write(app / "policy.yaml", "# guardrails\n" + POLICY.lstrip())
    result = kedge("plan", app)
    assert result.exit_code == 1, result
    assert (
        "policy.yaml:2: error: policy files/no-world-writable denies create of File/world: " in result.stderr
    )
    assert "files must not be world-writable" in result.stderr
    assert "warning: policy files/label-owner warns on create of File/private" in result.stderr

    data = json.loads(kedge("plan", app, "-o", "json").stdout)
    [denial] = [d for d in data["diagnostics"] if d["severity"] == "error"]
    assert denial["file"].endswith("policy.yaml") and denial["line"] == 2
    assert denial["message"] == (
        "policy files/no-world-writable denies create of File/world: files must not be world-writable"
    )
    assert any(d["severity"] == "warning" and "label-owner" in d["message"] for d in data["diagnostics"])


def test_apply_refuses_a_denied_plan_and_changes_nothing(kedge, local_app) -> None:
    app, root = local_app(FILES)
    write(app / "policy.yaml", POLICY)
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 1, result
    assert "denies create of File/world" in result.stderr
    assert list(root.iterdir()) == [], "nothing may be written when a change is denied"


def test_warnings_alone_do_not_block(kedge, local_app) -> None:
    app, root = local_app(FILES.replace('"0666"', '"0644"'))
    write(app / "policy.yaml", POLICY)
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    assert "warns on create of File/private" in result.stderr
    assert (root / "world.txt").read_text() == "hi\n"


def test_a_delete_is_judged_too(kedge, local_app) -> None:
    app, root = local_app(FILES.replace('"0666"', '"0644"'))
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    resources = (app / "resources.yaml").read_text()
    (app / "resources.yaml").write_text(resources.split("---")[0])
    write(
        app / "policy.yaml",
        """
        apiVersion: kedge.dev/v1
        kind: Policy
        metadata: {name: keep}
        spec:
          rules:
            - {name: no-delete, deny: "change.action == 'delete'", message: files are kept}
        """,
    )
    result = kedge("apply", app, "--auto-approve", "--prune")
    assert result.exit_code == 1, result
    assert "policy keep/no-delete denies delete of File/private: files are kept" in result.stderr
    assert (root / "private.txt").exists()


def test_a_rule_that_does_not_compile_fails_the_plan_with_file_and_line(kedge, local_app) -> None:
    app, _ = local_app(FILES.replace('"0666"', '"0644"'))
    write(
        app / "policy.yaml",
        """
        apiVersion: kedge.dev/v1
        kind: Policy
        metadata: {name: broken}
        spec:
          rules:
            - {name: typo, deny: "change.action = 'delete'"}
        """,
    )
    result = kedge("plan", app)
    assert result.exit_code == 1, result
    assert (
        "policy.yaml:1: spec.rules[0].deny: error: policy broken/typo: deny does not compile: syntax error"
        in result.stderr
    )
