"""``verify``: a commit is applied only when signed by a trusted SSH key (checked without ssh-keygen).

Signatures are made by the real tools (``git commit -S`` with ``gpg.format=ssh``, ``ssh-keygen
-Y sign``); the check under test reads them with the ``cryptography`` package only.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pygit2
import pytest

from kedge.model import ConfigError
from kedge.sources import GitCache, VerifyPolicy

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")


def make_key(tmp_path: Path, name: str, kind: str = "ed25519") -> tuple[Path, str]:
    path = tmp_path / f"key-{name}"
    bits = ["-b", "2048"] if kind == "rsa" else []
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, *bits, "-N", "", "-C", f"{name}@example.com", "-f", str(path)],
        check=True,
    )
    return path, Path(f"{path}.pub").read_text().strip()


class Work:
    """A repository committed to with the git CLI, as a developer would."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env
        path.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.path), *args], env=self.env, capture_output=True, check=True
        )
        return done.stdout.decode().strip()

    def commit(self, message: str, key: Path | None = None) -> str:
        (self.path / "app.yaml").write_text(f"# {message}\n")
        self.git("add", "app.yaml")
        sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"] if key else []
        self.git(*sign, "commit", "-q", *(["-S"] if key else []), "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def work(tmp_path: Path, git_env: dict[str, str]) -> Work:
    return Work(tmp_path / "work", git_env)


def policy(*keys: str) -> VerifyPolicy:
    return VerifyPolicy.from_spec({"mode": "head", "keys": list(keys)})


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_commit_signed_by_a_trusted_key_is_accepted(
    work: Work, cache: GitCache, tmp_path: Path, kind: str
) -> None:
    key, public = make_key(tmp_path, "alice", kind)
    sha = work.commit("signed", key)
    result = cache.source(str(work.path)).verify(sha, policy(public))
    assert result.ok, result.reason
    assert result.commit == sha
    assert result.signer == "alice@example.com"
    assert result.key and result.key.startswith("SHA256:")
    fingerprint = subprocess.run(["ssh-keygen", "-lf", f"{key}.pub"], capture_output=True, text=True).stdout
    assert result.key in fingerprint


def test_allowed_signers_lines_name_the_signer(work: Work, cache: GitCache, tmp_path: Path) -> None:
    _, other = make_key(tmp_path, "bob")
    key, public = make_key(tmp_path, "alice")
    sha = work.commit("signed", key)
    signers = f'# team keys\nbob@example.com {other}\nalice@corp namespaces="git,file" {public}\n'
    result = cache.source(str(work.path)).verify(sha, policy(signers))
    assert result.ok and result.signer == "alice@corp"


def test_unsigned_commit_is_refused(work: Work, cache: GitCache, tmp_path: Path) -> None:
    _, public = make_key(tmp_path, "alice")
    sha = work.commit("unsigned")
    result = cache.source(str(work.path)).verify(sha, policy(public))
    assert not result.ok
    assert result.reason == f"commit {sha[:12]} is not signed; only signed commits are applied"


def test_commit_signed_by_another_key_is_refused(work: Work, cache: GitCache, tmp_path: Path) -> None:
    _, trusted = make_key(tmp_path, "alice")
    mallory, _ = make_key(tmp_path, "mallory")
    sha = work.commit("signed by someone else", mallory)
    result = cache.source(str(work.path)).verify(sha, policy(trusted))
    assert not result.ok and "is not trusted" in result.reason and result.signer is None


def test_key_not_allowed_for_git_is_refused(work: Work, cache: GitCache, tmp_path: Path) -> None:
    key, public = make_key(tmp_path, "alice")
    sha = work.commit("signed", key)
    result = cache.source(str(work.path)).verify(sha, policy(f'alice namespaces="file" {public}'))
    assert not result.ok and "not allowed to sign in the 'git' namespace" in result.reason


def test_key_outside_its_validity_is_refused(work: Work, cache: GitCache, tmp_path: Path) -> None:
    key, public = make_key(tmp_path, "alice")
    sha = work.commit("signed", key)
    repo = cache.source(str(work.path))
    assert not repo.verify(sha, policy(f"alice valid-before=20000101 {public}")).ok
    assert not repo.verify(sha, policy(f"alice valid-after=29990101Z {public}")).ok
    assert repo.verify(sha, policy(f"alice valid-after=20000101,valid-before=29990101 {public}")).ok


def _resign(work: Work, payload: bytes, signature: bytes) -> str:
    repo = pygit2.Repository(str(work.path))
    oid = repo.create_commit_with_signature(payload.decode(), signature.decode(), "gpgsig")
    repo.references.create("refs/heads/pushed", oid, force=True)  # as a push would publish it
    return str(oid)


def test_tampered_commit_is_refused(work: Work, cache: GitCache, tmp_path: Path) -> None:
    key, public = make_key(tmp_path, "alice")
    sha = work.commit("signed", key)
    signature, payload = pygit2.Repository(str(work.path))[sha].gpg_signature
    forged = _resign(work, payload.replace(b"signed", b"forged"), signature)
    result = cache.source(str(work.path)).verify(forged, policy(public))
    assert not result.ok and "does not match the commit" in result.reason


def test_signature_of_another_namespace_is_refused(work: Work, cache: GitCache, tmp_path: Path) -> None:
    key, public = make_key(tmp_path, "alice")
    sha = work.commit("unsigned")
    payload = pygit2.Repository(str(work.path))[sha].read_raw()
    signed = subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-q", "-f", str(key), "-n", "file"],
        input=payload,
        capture_output=True,
        check=True,
    ).stdout
    other = _resign(work, payload, signed)
    result = cache.source(str(work.path)).verify(other, policy(public))
    assert not result.ok and "namespace is 'file', not 'git'" in result.reason


def test_garbage_signature_is_refused(work: Work, cache: GitCache, tmp_path: Path) -> None:
    _, public = make_key(tmp_path, "alice")
    sha = work.commit("unsigned")
    payload = pygit2.Repository(str(work.path))[sha].read_raw()
    armored = b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n"
    result = cache.source(str(work.path)).verify(_resign(work, payload, armored), policy(public))
    assert not result.ok and "truncated" in result.reason


def test_mode_none_accepts_any_commit(work: Work, cache: GitCache) -> None:
    sha = work.commit("unsigned")
    assert cache.source(str(work.path)).verify(sha, VerifyPolicy.from_spec(None)).ok
    assert cache.source(str(work.path)).verify(sha, VerifyPolicy.from_spec({"mode": "none"})).ok


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"mode": "all", "keys": []}, "mode: 'all' is not one of none, head"),
        ({"mode": "head", "keys": []}, "needs at least one trusted key"),
        (
            {"mode": "head", "keys": ["ssh-ed25519 not-base64!"]},
            r"keys\[0\]: the ssh-ed25519 public key is not valid",
        ),
        (
            {"mode": "head", "keys": ["ssh-dss AAAAB3NzaC1kc3M="]},
            r"keys\[0\]: SSH key type 'ssh-dss' is not supported",
        ),
        ({"mode": "head", "keys": ["just words here"]}, r"keys\[0\]"),
        ({"mode": "head", "keys": "ssh-ed25519 AAAA"}, "a list of public keys"),
        ({"mode": "head", "key": []}, "unknown field 'key'"),
    ],
)
def test_bad_policies_are_config_errors(spec: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        VerifyPolicy.from_spec(spec)


def test_certificate_authorities_are_refused(tmp_path: Path) -> None:
    _, public = make_key(tmp_path, "ca")
    with pytest.raises(ConfigError, match="cert-authority"):
        policy(f"*@example.com cert-authority {public}")
