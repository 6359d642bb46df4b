"""Signed commits: ``source.verify {mode: head, keys: [...]}`` and the check of one commit.

``mode: head`` requires the commit to be applied (the head of the tracked ref, or the revision
a sync or rollback names) to carry a signature by one of ``keys``; ``mode: none`` (or no
``verify`` at all) applies any commit. A key is either

- an SSH public key line, bare (``ssh-ed25519 AAAA... comment``) or in ``allowed_signers``
  form (``alice@example.com namespaces="git" ssh-ed25519 AAAA...``); several lines may be given
  in one string, as an ``allowed_signers`` file holds them; or
- an armored OpenPGP public key block.

The check never raises for a bad or missing signature: it returns a ``VerifyResult`` whose
``reason`` says why, so the controller records it as a condition and applies nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pygit2

from kedge.model import ConfigError
from kedge.sources import openpgp, sshsig

MODES = ("none", "head")


@dataclass(frozen=True)
class VerifyPolicy:
    mode: str = "none"
    ssh_keys: tuple[sshsig.SshKey, ...] = ()
    pgp_keys: tuple[openpgp.PgpKey, ...] = ()

    @property
    def required(self) -> bool:
        return self.mode != "none"

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> VerifyPolicy:
        """Read ``spec.source.verify``; a ``ConfigError`` names the key that cannot be used."""
        if not spec:
            return cls()
        unknown = sorted(set(spec) - {"mode", "keys"})
        if unknown:
            raise ConfigError(f"source.verify: unknown field {unknown[0]!r} (mode, keys)")
        mode = spec.get("mode", "head")
        if mode not in MODES:
            raise ConfigError(f"source.verify.mode: {mode!r} is not one of {', '.join(MODES)}")
        keys = spec.get("keys") or []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ConfigError("source.verify.keys: a list of public keys (strings) is expected")
        ssh_keys: list[sshsig.SshKey] = []
        pgp_keys: list[openpgp.PgpKey] = []
        for index, text in enumerate(keys):
            try:
                if openpgp.ARMOR_BEGIN in text:
                    pgp_keys.append(openpgp.parse_key(text))
                else:
                    ssh_keys.extend(_ssh_lines(text))
            except ConfigError as exc:
                raise ConfigError(f"source.verify.keys[{index}]: {exc}") from None
        if mode != "none" and not ssh_keys and not pgp_keys:
            raise ConfigError("source.verify.keys: mode 'head' needs at least one trusted key")
        return cls(mode, tuple(ssh_keys), tuple(pgp_keys))


def _ssh_lines(text: str) -> list[sshsig.SshKey]:
    lines = [line.strip() for line in text.splitlines()]
    keys = [sshsig.parse_key_line(line) for line in lines if line and not line.startswith("#")]
    if not keys:
        raise ConfigError("the key is empty")
    return keys


@dataclass(frozen=True)
class VerifyResult:
    commit: str
    ok: bool
    reason: str  # for humans: who signed, or why the commit is refused
    signer: str | None = None  # principal or user id of the trusted key that signed
    key: str | None = None  # its fingerprint


def verify_commit(commit: pygit2.Commit, policy: VerifyPolicy) -> VerifyResult:
    sha = str(commit.id)
    short = sha[:12]
    if not policy.required:
        return VerifyResult(sha, True, "signature verification is not required")
    signature, payload = commit.gpg_signature
    if not signature or payload is None:
        return VerifyResult(sha, False, f"commit {short} is not signed; only signed commits are applied")
    when = datetime.fromtimestamp(commit.commit_time, tz=UTC)
    try:
        if signature.lstrip().startswith(sshsig.ARMOR_BEGIN):
            ssh_key = sshsig.verify(signature, payload, list(policy.ssh_keys), when)
            return _signed(sha, ssh_key.principal, ssh_key.fingerprint)
        if signature.lstrip().startswith(openpgp.SIGNATURE_BEGIN):
            pgp_key = openpgp.verify(signature, payload, list(policy.pgp_keys))
            return _signed(sha, pgp_key.principal, pgp_key.fingerprint)
    except (sshsig.BadSignature, openpgp.BadSignature) as exc:
        return VerifyResult(sha, False, f"commit {short} is refused: {exc}")
    return VerifyResult(sha, False, f"commit {short} is refused: its signature is neither SSH nor OpenPGP")


def _signed(sha: str, principal: str, fingerprint: str) -> VerifyResult:
    reason = f"commit {sha[:12]} is signed by {principal} ({fingerprint})"
    return VerifyResult(sha, True, reason, principal, fingerprint)
