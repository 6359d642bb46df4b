"""`kedge validate` refuses what `plan` would, with file and line, without touching anything;
a relative ProviderConfig root is relative to the manifest that declares it."""

from __future__ import annotations

import json
from pathlib import Path

from kedge.engine.render import render
from tests.cli.process import kedge
from tests.conftest import write

ESCAPES = """
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {name: default}
spec:
  provider: local
  settings: {root: ROOT}
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: up}
spec:
  path: ../etc/motd
  content: "x"
---
apiVersion: local.kedge.dev/v1
kind: Directory
metadata: {name: absolute}
spec:
  path: /etc
"""

RELATIVE = """
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {name: default}
spec:
  provider: local
  settings: {root: ../files}
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: motd}
spec:
  path: etc/motd
  content: "hello\\n"
"""


def test_validate_names_file_and_line_of_a_path_leaving_its_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(tmp_path / "app" / "app.yaml", ESCAPES.replace("ROOT", str(root)))
    result = kedge("validate", tmp_path / "app")
    assert result.exit_code == 1, result
    assert "app.yaml:8" in result.stderr and "'../etc/motd'" in result.stderr and "inside the root" in result.stderr
    assert "app.yaml:15" in result.stderr and "is absolute" in result.stderr
    assert "Traceback" not in result.stderr
    as_json = json.loads(kedge("validate", tmp_path / "app", "-o", "json").stdout)
    assert as_json["valid"] is False
    assert {(d["file"], d["line"]) for d in as_json["diagnostics"]} == {("app.yaml", 8), ("app.yaml", 15)}
    assert not root.exists() and not (tmp_path / "app" / ".kedge").exists(), "validate touches nothing"
    plan = kedge("plan", tmp_path / "app")
    assert plan.exit_code == 1 and "app.yaml:8" in plan.stderr and not root.exists()


def test_a_relative_root_is_relative_to_the_manifest_not_the_working_directory(tmp_path: Path) -> None:
    app = tmp_path / "apps" / "web"
    write(app / "app.yaml", RELATIVE)
    applied = kedge("apply", ".", "--auto-approve", cwd=app)
    assert applied.exit_code == 0, applied
    assert (tmp_path / "apps" / "files" / "etc" / "motd").read_text() == "hello\n"
    for cwd, target in ((app, "."), (tmp_path, "apps/web"), (Path("/"), str(app))):
        drift = kedge("drift", target, "--db", app / ".kedge" / "state.db", cwd=cwd)
        assert drift.exit_code == 0, (cwd, drift)
        assert "No drift" in drift.stdout


def test_a_relative_root_in_a_git_checkout_is_refused_with_its_place(tmp_path: Path) -> None:
    write(tmp_path / "app" / "config" / "provider.yaml", RELATIVE)
    rendered = render(tmp_path / "app", checkout=True)
    assert not rendered.ok
    (problem,) = [d for d in rendered.diagnostics if d.is_error]
    assert problem.file == "config/provider.yaml" and problem.line == 1
    assert "relative root is refused in a git source" in problem.message
    assert render(tmp_path / "app").configs["default"].settings["root"] == str(tmp_path / "app" / "files")
