"""OpenPGP signatures on commits (``git commit -S`` with gpg), checked with PGPy, without gpg.

A trusted key is an armored public key block. A signature is accepted when it was made by the
key or one of its subkeys and verifies over the commit's signed payload; PGPy also checks that
the key is not expired or revoked and that its binding signatures hold.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from kedge.model import ConfigError

ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
SIGNATURE_BEGIN = b"-----BEGIN PGP SIGNATURE-----"


class BadSignature(Exception):
    """The signature is malformed, by an unknown key, or does not verify."""


@dataclass(frozen=True)
class PgpKey:
    principal: str  # the first user id, or the fingerprint
    fingerprint: str
    key: Any  # pgpy.PGPKey


def _pgpy() -> Any:
    with warnings.catch_warnings():
        # PGPy imports ciphers that the cryptography package marks as deprecated.
        warnings.simplefilter("ignore")
        import pgpy  # type: ignore[import-untyped]
    return pgpy


def parse_key(armored: str) -> PgpKey:
    pgpy = _pgpy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            key, _ = pgpy.PGPKey.from_blob(armored)
    except Exception as exc:  # PGPy raises many kinds of errors on bad input
        raise ConfigError(f"the OpenPGP public key is not valid: {type(exc).__name__}") from None
    if not key.is_public:
        raise ConfigError("an OpenPGP private key was given; give the public key")
    fingerprint = str(key.fingerprint).replace(" ", "")
    names = [uid.userid for uid in key.userids if uid.is_uid and uid.userid]
    principal = str(names[0]) if names else fingerprint
    return PgpKey(principal, fingerprint, key)


def verify(armored: bytes, payload: bytes, trusted: list[PgpKey]) -> PgpKey:
    """The trusted key that made this signature over ``payload``; ``BadSignature`` otherwise."""
    pgpy = _pgpy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            signature = pgpy.PGPSignature.from_blob(armored)
    except Exception as exc:
        raise BadSignature(f"the OpenPGP signature cannot be read: {type(exc).__name__}") from None
    signer = str(signature.signer)
    for candidate in trusted:
        ids = {candidate.key.fingerprint.keyid, *candidate.key.subkeys}
        if signer not in ids:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ok = bool(candidate.key.verify(payload, signature))
        except Exception as exc:
            raise BadSignature(f"the signature by {candidate.principal} cannot be checked: {exc}") from None
        if ok:
            return candidate
        raise BadSignature(f"the signature by {candidate.principal} does not match the commit")
    raise BadSignature(f"the signing key {signer} is not trusted")
