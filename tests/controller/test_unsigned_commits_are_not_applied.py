"""``source.verify``: only commits signed by a trusted key are applied; anything else leaves the
live state untouched, with a condition, an event and an audit entry."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.controller.conftest import app_spec, file_doc, wait_for

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")


class SignedRepo:
    def __init__(self, path: Path, home: Path) -> None:
        self.path = path
        home.mkdir()
        self.env = {
            **os.environ,
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "GIT_AUTHOR_NAME": "Ada",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
        }
        path.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.path), *args], env=self.env, capture_output=True, check=True
        )
        return done.stdout.decode().strip()

    def commit(self, text: str, key: Path | None) -> str:
        (self.path / "app.yaml").write_text(text)
        self.git("add", "app.yaml")
        sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"] if key else []
        self.git(*sign, "commit", "-q", *(["-S"] if key else []), "-m", "change")
        return self.git("rev-parse", "HEAD")


def make_key(tmp_path: Path, name: str) -> tuple[Path, str]:
    path = tmp_path / f"key-{name}"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@example.com", "-f", str(path)],
        check=True,
    )
    return path, Path(f"{path}.pub").read_text().strip()


@pytest.mark.parametrize("signer", ["nobody", "stranger"])
def test_commit_not_signed_by_a_trusted_key_is_refused(make_controller, root, tmp_path, signer) -> None:
    trusted, public = make_key(tmp_path, "alice")
    stranger, _ = make_key(tmp_path, "mallory")
    repo = SignedRepo(tmp_path / "signed", tmp_path / "home")
    first = repo.commit(file_doc("motd", "motd", "v1\n"), trusted)
    spec = app_spec(repo.path)
    spec["source"]["verify"] = {"mode": "head", "keys": [f"alice@example.com {public}"]}
    controller = make_controller()
    controller.create_app("web", spec, actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == first)
    assert (root / "motd").read_text() == "v1\n"

    bad = repo.commit(file_doc("motd", "motd", "evil\n"), stranger if signer == "stranger" else None)
    ready = wait_for(
        lambda: next(
            (
                c
                for c in controller.get_app("web")["status"]["conditions"]
                if c["type"] == "Ready" and c["reason"] == "UnverifiedCommit"
            ),
            None,
        )
    )
    assert bad[:12] in ready["message"]
    assert (root / "motd").read_text() == "v1\n", "the live state is untouched"
    assert controller.get_app("web")["status"]["lastAppliedRevision"] == first
    assert any(
        e.action == "commit-refused" and e.revision == bad for e in controller.store.audit_entries(app="web")
    )
    assert any(e["type"] == "verification-failed" for e in controller.events("web"))

    fixed = repo.commit(file_doc("motd", "motd", "v2\n"), trusted)
    wait_for(lambda: (root / "motd").read_text() == "v2\n", message="a signed commit is applied again")
    wait_for(lambda: controller.get_app("web")["status"]["lastAppliedRevision"] == fixed)
