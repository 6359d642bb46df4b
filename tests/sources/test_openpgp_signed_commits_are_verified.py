"""``verify`` with OpenPGP keys: commits signed with gpg are checked by PGPy, without gpg."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kedge.model import ConfigError
from kedge.sources import GitCache, VerifyPolicy

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="needs gpg")


class Gpg:
    """A throwaway GnuPG home; its agent is stopped when the fixture ends."""

    def __init__(self, env: dict[str, str]) -> None:
        # Short path: the agent's socket must fit in a sockaddr_un.
        self.home = tempfile.mkdtemp(prefix="kg", dir="/tmp")
        self.env = {**env, "GNUPGHOME": self.home}

    def run(self, *args: str) -> str:
        done = subprocess.run(["gpg", "--batch", *args], env=self.env, capture_output=True, check=True)
        return done.stdout.decode()

    def new_key(self, uid: str, algo: str = "ed25519") -> tuple[str, str]:
        self.run("--passphrase", "", "--quick-generate-key", uid, algo, "sign", "never")
        listing = self.run("--with-colons", "--list-keys", uid)
        fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))
        return fingerprint, self.run("--armor", "--export", fingerprint)

    def close(self) -> None:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=self.env, capture_output=True, check=False)
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def gpg(git_env: dict[str, str]) -> Iterator[Gpg]:
    keys = Gpg(git_env)
    yield keys
    keys.close()


def commit(gpg: Gpg, work: Path, message: str, signer: str | None) -> str:
    def git(*args: str) -> str:
        return (
            subprocess.run(["git", "-C", str(work), *args], env=gpg.env, capture_output=True, check=True)
            .stdout.decode()
            .strip()
        )

    if not work.exists():
        work.mkdir()
        git("init", "-q", "-b", "main")
    (work / "app.yaml").write_text(f"# {message}\n")
    git("add", "app.yaml")
    git(*(["-c", f"user.signingkey={signer}", "commit", "-S"] if signer else ["commit"]), "-q", "-m", message)
    return git("rev-parse", "HEAD")


@pytest.mark.parametrize("algo", ["ed25519", "rsa2048"])
def test_commit_signed_by_a_trusted_key_is_accepted(
    gpg: Gpg, cache: GitCache, tmp_path: Path, algo: str
) -> None:
    fingerprint, public = gpg.new_key("Alice <alice@example.com>", algo)
    sha = commit(gpg, tmp_path / "work", "signed", fingerprint)
    result = cache.source(str(tmp_path / "work")).verify(sha, VerifyPolicy.from_spec({"keys": [public]}))
    assert result.ok, result.reason
    assert result.signer == "Alice <alice@example.com>"
    assert result.key == fingerprint


def test_commit_signed_by_another_key_is_refused(gpg: Gpg, cache: GitCache, tmp_path: Path) -> None:
    _, trusted = gpg.new_key("Alice <alice@example.com>")
    mallory, _ = gpg.new_key("Mallory <mallory@example.com>")
    sha = commit(gpg, tmp_path / "work", "signed", mallory)
    result = cache.source(str(tmp_path / "work")).verify(sha, VerifyPolicy.from_spec({"keys": [trusted]}))
    assert not result.ok and "is not trusted" in result.reason


def test_unsigned_commit_is_refused(gpg: Gpg, cache: GitCache, tmp_path: Path) -> None:
    _, trusted = gpg.new_key("Alice <alice@example.com>")
    sha = commit(gpg, tmp_path / "work", "unsigned", None)
    result = cache.source(str(tmp_path / "work")).verify(sha, VerifyPolicy.from_spec({"keys": [trusted]}))
    assert not result.ok and "is not signed" in result.reason


def test_ssh_keys_do_not_vouch_for_gpg_signatures(gpg: Gpg, cache: GitCache, tmp_path: Path) -> None:
    fingerprint, _ = gpg.new_key("Alice <alice@example.com>")
    sha = commit(gpg, tmp_path / "work", "signed", fingerprint)
    ssh_only = VerifyPolicy.from_spec(
        {"keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0tUTK6VKpUd3Nod+2PNLfEODUvqqnTZPi/2tuCU9YV"]}
    )
    assert not cache.source(str(tmp_path / "work")).verify(sha, ssh_only).ok


def test_bad_armored_key_is_a_config_error() -> None:
    broken = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n"
    with pytest.raises(ConfigError, match=r"keys\[0\]: the OpenPGP public key is not valid"):
        VerifyPolicy.from_spec({"keys": [broken]})
