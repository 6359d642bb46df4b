"""Ed25519 keys for audit checkpoints: load, derive, generate, and show them.

A private key is either a PEM file (``-----BEGIN PRIVATE KEY-----``, PKCS#8, unencrypted) or
the base64 of its raw 32-byte seed, which fits in an environment variable
(``ServerConfig spec.auditKey: {fromEnv: KEDGE_AUDIT_KEY}`` or ``{fromFile: /etc/kedge/audit.pem}``).
A public key is shown, published and stored as the base64 of its raw 32 bytes; a PEM public
key is accepted too. Error messages name the file, never the key material.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kedge.model import ConfigError
from kedge.model.values import Secret

__all__ = [
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "generate_private_key",
    "key_id",
    "load_private_key",
    "load_public_key",
    "private_key_pem",
    "public_key_of",
    "public_key_text",
    "read_private_key",
    "read_public_keys",
    "write_private_key",
]

_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_of(key: Ed25519PrivateKey) -> Ed25519PublicKey:
    return key.public_key()


def public_key_text(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The base64 of the raw 32-byte public key: what checkpoints carry and ``--key`` accepts."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(_RAW, _RAW_PUBLIC)).decode("ascii")


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """A short fingerprint for messages: the first 16 hex digits of SHA-256 of the raw key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return hashlib.sha256(public.public_bytes(_RAW, _RAW_PUBLIC)).hexdigest()[:16]


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(value: str | bytes | Secret, where: str = "the audit key") -> Ed25519PrivateKey:
    """A private key from PEM text or a base64 raw seed; ``where`` names its origin in errors."""
    raw = value.reveal() if isinstance(value, Secret) else value
    if not isinstance(raw, str | bytes):
        raise ConfigError(f"{where}: expected a PEM private key or a base64 Ed25519 seed")
    data = raw.encode() if isinstance(raw, str) else raw
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_private_key(data.strip(), password=None)
        except (ValueError, TypeError):
            raise ConfigError(
                f"{where}: not a readable unencrypted PEM private key "
                "(generate one with `kedge audit keygen`)"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"{where}: the PEM key is not an Ed25519 key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw32(data, where, "seed"))


def load_public_key(value: str | bytes, where: str = "the public key") -> Ed25519PublicKey:
    """A public key from PEM text or base64 raw bytes; a private key is accepted and reduced to
    its public half (so the key file itself can be given to ``verify``)."""
    data = value.encode() if isinstance(value, str) else value
    if b"PRIVATE KEY" in data:
        return load_private_key(data, where).public_key()
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_public_key(data.strip())
        except (ValueError, TypeError):
            raise ConfigError(f"{where}: not a readable PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ConfigError(f"{where}: the PEM key is not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(_raw32(data, where, "public key"))


def read_private_key(path: Path) -> Ed25519PrivateKey:
    return load_private_key(_read(path), str(path))


def read_public_keys(path: Path) -> list[Ed25519PublicKey]:
    """Every public key in ``path``: one PEM block, or base64 keys one per line (``#`` comments
    allowed), so the file can list the current key and the retired ones."""
    data = _read(path)
    if b"-----BEGIN" in data:
        return [load_public_key(data, str(path))]
    lines = [line.strip() for line in data.splitlines()]
    keys = [
        load_public_key(line, f"{path}:{n}")
        for n, line in enumerate(lines, 1)
        if line and not line.startswith(b"#")
    ]
    if not keys:
        raise ConfigError(f"{path}: no public key in the file")
    return keys


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` as PEM, readable by its owner only; an existing file is never overwritten."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} already exists: choose another file, a key is never overwritten") from None
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as fp:
        fp.write(private_key_pem(key))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read key file {path}: {exc.strerror or exc}") from None


def _raw32(data: bytes, where: str, what: str) -> bytes:
    # Standard or URL-safe alphabet, padded or not.
    text = b"".join(data.split()).replace(b"-", b"+").replace(b"_", b"/").rstrip(b"=")
    try:
        raw = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ConfigError(f"{where}: expected a PEM key or the base64 of a raw 32-byte Ed25519 {what}")
    return raw
