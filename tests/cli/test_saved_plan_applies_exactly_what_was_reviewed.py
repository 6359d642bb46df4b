"""`kedge plan -out FILE` then `kedge apply FILE`: exactly the reviewed plan, or a refusal that
says what moved and changes nothing. Apply prints one line per resource, as Terraform does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.process import kedge
from tests.conftest import write

APP = """
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
  path: motd
  content: {fromEnv: MOTD_TEXT}
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: banner}
spec:
  path: banner
  content: "welcome\\n"
"""
SECRET = "s3cr3t-message-of-the-day"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    write(tmp_path / "app" / "app.yaml", APP)
    return tmp_path / "app"


def test_apply_of_a_saved_plan_applies_it_without_asking(app: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "web.plan"
    planned = kedge("plan", app, "-out", plan_file, MOTD_TEXT=SECRET)
    assert planned.exit_code == 0, planned
    saved = json.loads(plan_file.read_text())
    assert saved["format"] == "kedge-plan/1" and set(saved["fingerprint"]) == {"inputs", "observed", "git"}
    assert saved["plan"]["summary"]["create"] == 2
    assert SECRET not in plan_file.read_text(), "a saved plan holds no secret values"
    assert not (tmp_path / "files").exists()

    mixed = kedge("apply", plan_file, "--prune", MOTD_TEXT=SECRET)
    assert mixed.exit_code == 1 and "saved plan" in mixed.stderr and "--prune" in mixed.stderr
    applied = kedge("apply", plan_file, MOTD_TEXT=SECRET)  # stdin is empty: no question is asked
    assert applied.exit_code == 0, applied
    assert (tmp_path / "files" / "motd").read_text() == SECRET
    lines = applied.stdout.splitlines()
    assert any(line.startswith("File/motd: creating… done (") and line.endswith("s)") for line in lines), lines
    assert any(line.startswith("File/banner: creating… done (") for line in lines)
    assert "Apply complete: 2 succeeded" in applied.stdout
    assert kedge("plan", app, "--detailed-exitcode", MOTD_TEXT=SECRET).exit_code == 0


def test_a_saved_plan_is_refused_when_the_manifests_changed(app: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "web.plan"
    assert kedge("plan", app, "-out", plan_file, MOTD_TEXT=SECRET).exit_code == 0
    (app / "app.yaml").write_text((app / "app.yaml").read_text().replace("welcome", "hello"))
    refused = kedge("apply", plan_file, MOTD_TEXT=SECRET)
    assert refused.exit_code == 1
    assert "stale" in refused.stderr and "the manifests changed" in refused.stderr
    assert "Nothing was applied" in refused.stderr
    assert not (tmp_path / "files").exists()


def test_a_saved_plan_is_refused_when_the_world_changed(app: Path, tmp_path: Path) -> None:
    assert kedge("apply", app, "--auto-approve", MOTD_TEXT=SECRET).exit_code == 0
    (app / "app.yaml").write_text((app / "app.yaml").read_text().replace("welcome", "hello"))
    plan_file = tmp_path / "web.plan"
    assert kedge("plan", app, "-out", plan_file, MOTD_TEXT=SECRET).exit_code == 0
    (tmp_path / "files" / "banner").write_text("edited by hand\n")
    refused = kedge("apply", plan_file, MOTD_TEXT=SECRET)
    assert refused.exit_code == 1 and "the real world changed" in refused.stderr, refused
    assert (tmp_path / "files" / "banner").read_text() == "edited by hand\n"


def test_a_saved_plan_is_refused_when_git_moved(app: Path, tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", *args],
            cwd=tmp_path, check=True, capture_output=True,
        )

    git("init", "-q")
    git("add", "app")
    git("commit", "-qm", "app")
    plan_file = tmp_path / "web.plan"
    assert kedge("plan", app, "-out", plan_file, MOTD_TEXT=SECRET).exit_code == 0
    assert json.loads(plan_file.read_text())["fingerprint"]["git"]
    (tmp_path / "README").write_text("unrelated\n")
    git("add", "README")
    git("commit", "-qm", "readme")
    refused = kedge("apply", plan_file, MOTD_TEXT=SECRET)
    assert refused.exit_code == 1 and "git moved" in refused.stderr
    assert not (tmp_path / "files").exists()


def test_one_confirmation_style_and_a_refusal_says_what_was_not_done(app: Path, tmp_path: Path) -> None:
    no = kedge("apply", app, input="no\n", MOTD_TEXT=SECRET)
    assert no.exit_code == 1
    assert "Only 'yes' is accepted" in no.stderr and "Apply cancelled: nothing was changed." in no.stderr
    closed = kedge("apply", app, MOTD_TEXT=SECRET)
    assert closed.exit_code == 1
    assert "nothing was changed" in closed.stderr and "--auto-approve" in closed.stderr
    assert not (tmp_path / "files").exists()
    yes = kedge("apply", app, input="yes\n", MOTD_TEXT=SECRET)
    assert yes.exit_code == 0 and (tmp_path / "files" / "banner").exists()
