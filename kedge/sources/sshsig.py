"""SSH signatures on commits (``git -c gpg.format=ssh commit -S``), checked without ssh-keygen.

The commit's ``gpgsig`` header holds an armored SSHSIG blob (OpenSSH's PROTOCOL.sshsig):

    "SSHSIG" | uint32 version=1 | string public key | string namespace | string reserved
    | string hash algorithm | string signature

and the signature covers

    "SSHSIG" | string namespace | string reserved | string hash algorithm | string H(payload)

A signature is accepted only when its namespace is ``git``, its hash is sha256 or sha512, its
public key is one of the trusted keys (byte for byte), and the signature verifies with that
key. Trusted keys come as ``allowed_signers`` lines (``principals [options] keytype key``, with
``namespaces=``, ``valid-after=`` and ``valid-before=`` honoured) or as bare public key lines.
Ed25519, ECDSA (nistp256/384/521) and RSA (rsa-sha2-256/512) keys are supported; certificates
(``cert-authority``) and security keys (``sk-*``) are not.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kedge.model import ConfigError

MAGIC = b"SSHSIG"
NAMESPACE = "git"
ARMOR_BEGIN = b"-----BEGIN SSH SIGNATURE-----"
ARMOR_END = b"-----END SSH SIGNATURE-----"
KEY_TYPES = {
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
}
_ECDSA_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "ecdsa-sha2-nistp256": hashes.SHA256,
    "ecdsa-sha2-nistp384": hashes.SHA384,
    "ecdsa-sha2-nistp521": hashes.SHA512,
}
_RSA_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "rsa-sha2-256": hashes.SHA256,
    "rsa-sha2-512": hashes.SHA512,
}


class BadSignature(Exception):
    """The signature is malformed, of another namespace, by another key, or does not verify."""


@dataclass(frozen=True)
class SshKey:
    """One trusted SSH public key, with what ``allowed_signers`` says about it."""

    principal: str
    key_type: str
    blob: bytes  # the public key in SSH wire format: what a signature embeds
    namespaces: frozenset[str] | None = None  # None: any namespace
    valid_after: datetime | None = None
    valid_before: datetime | None = None

    @property
    def fingerprint(self) -> str:
        digest = base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")
        return f"SHA256:{digest}"


def parse_key_line(line: str) -> SshKey:
    """An ``allowed_signers`` line or a bare ``keytype base64 [comment]`` line."""
    tokens = _split(line.strip(), " \t")
    if not tokens:
        raise ConfigError("SSH key line is empty")
    if _is_key_type(tokens[0]):
        principal, options, rest = "", "", tokens
    elif len(tokens) >= 3 and _is_key_type(tokens[1]):
        principal, options, rest = tokens[0], "", tokens[1:]
    elif len(tokens) >= 4:
        principal, options, rest = tokens[0], tokens[1], tokens[2:]
    else:
        raise ConfigError("SSH key line must read 'principals [options] keytype key' or 'keytype key'")
    key_type, encoded = rest[0], rest[1] if len(rest) > 1 else ""
    if key_type not in KEY_TYPES:
        raise ConfigError(f"SSH key type {key_type!r} is not supported ({', '.join(sorted(KEY_TYPES))})")
    try:
        blob = base64.b64decode(encoded, validate=True)
        serialization.load_ssh_public_key(f"{key_type} {encoded}".encode())
    except (binascii.Error, ValueError, UnsupportedAlgorithm):
        raise ConfigError(f"the {key_type} public key is not valid base64 SSH key data") from None
    if _Reader(blob).string().decode("ascii", "replace") != key_type:
        raise ConfigError(f"the public key data is not a {key_type} key")
    comment = rest[2] if len(rest) > 2 else ""
    return _with_options(SshKey(principal or comment or "ssh key", key_type, blob), options)


def _is_key_type(token: str) -> bool:
    return token in KEY_TYPES or token.startswith(("ssh-", "ecdsa-", "sk-"))


def _with_options(key: SshKey, options: str) -> SshKey:
    namespaces, after, before = None, None, None
    for option in _split(options, ","):
        name, _, value = option.partition("=")
        name = name.lower()
        value = value.strip('"')
        if name == "namespaces":
            namespaces = frozenset(n.strip() for n in value.split(",") if n.strip())
        elif name == "valid-after":
            after = _timestamp(value)
        elif name == "valid-before":
            before = _timestamp(value)
        elif name == "cert-authority":
            raise ConfigError("SSH certificate authorities (cert-authority) are not supported; list the keys")
        else:
            raise ConfigError(f"allowed_signers option {name!r} is not supported")
    return SshKey(key.principal, key.key_type, key.blob, namespaces, after, before)


def _split(text: str, separators: str) -> list[str]:
    """Split on ``separators`` outside double quotes (quotes kept), as OpenSSH reads options."""
    tokens, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char in separators and not quoted:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if quoted:
        raise ConfigError("SSH key line has an unclosed quote")
    if current:
        tokens.append(current)
    return tokens


def _timestamp(value: str) -> datetime:
    text = value.removesuffix("Z").removesuffix("z")
    formats = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
    try:
        return datetime.strptime(text, formats[len(text)]).replace(tzinfo=UTC)
    except (KeyError, ValueError):
        raise ConfigError(f"allowed_signers time {value!r} is not YYYYMMDD[HHMM[SS]][Z]") from None


class _Reader:
    """SSH wire format: uint32 lengths, then bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise BadSignature("the signature is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def uint32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def string(self) -> bytes:
        return self.take(self.uint32())

    def done(self) -> bool:
        return self.pos == len(self.data)


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def dearmor(armored: bytes) -> bytes:
    text = armored.strip()
    if not text.startswith(ARMOR_BEGIN) or not text.endswith(ARMOR_END):
        raise BadSignature("not an armored SSH signature")
    body = text[len(ARMOR_BEGIN) : -len(ARMOR_END)]
    try:
        return base64.b64decode(b"".join(body.split()), validate=True)
    except binascii.Error:
        raise BadSignature("the SSH signature is not valid base64") from None


def verify(armored: bytes, payload: bytes, trusted: list[SshKey], when: datetime) -> SshKey:
    """The trusted key that made this signature over ``payload``; ``BadSignature`` otherwise."""
    blob = _Reader(dearmor(armored))
    if blob.take(6) != MAGIC:
        raise BadSignature("the signature does not start with SSHSIG")
    if blob.uint32() != 1:
        raise BadSignature("the SSH signature version is not 1")
    public_key, namespace, reserved = blob.string(), blob.string(), blob.string()
    hash_name, signature = blob.string(), blob.string()
    if not blob.done():
        raise BadSignature("the signature has trailing data")
    if namespace != NAMESPACE.encode():
        shown = namespace.decode("ascii", "replace")
        raise BadSignature(f"the signature's namespace is {shown!r}, not 'git'")
    if hash_name not in (b"sha256", b"sha512"):
        raise BadSignature("the signature's hash algorithm is not sha256 or sha512")
    key = next((k for k in trusted if k.blob == public_key), None)
    if key is None:
        fingerprint = SshKey("", "", public_key).fingerprint
        raise BadSignature(f"the signing key {fingerprint} is not trusted")
    if key.namespaces is not None and NAMESPACE not in key.namespaces:
        raise BadSignature(f"the key of {key.principal} is not allowed to sign in the 'git' namespace")
    if (key.valid_after and when < key.valid_after) or (key.valid_before and when >= key.valid_before):
        raise BadSignature(f"the key of {key.principal} was not valid at the commit's time")
    digest = hashlib.new(hash_name.decode(), payload).digest()
    signed = MAGIC + _string(namespace) + _string(reserved) + _string(hash_name) + _string(digest)
    _check(key, signature, signed)
    return key


def _check(key: SshKey, signature: bytes, signed: bytes) -> None:
    sig = _Reader(signature)
    algorithm, raw = sig.string().decode("ascii", "replace"), sig.string()
    public = serialization.load_ssh_public_key(key.key_type.encode() + b" " + base64.b64encode(key.blob))
    try:
        if isinstance(public, ed25519.Ed25519PublicKey) and algorithm == "ssh-ed25519":
            public.verify(raw, signed)
        elif isinstance(public, rsa.RSAPublicKey) and algorithm in _RSA_HASH:
            public.verify(raw, signed, padding.PKCS1v15(), _RSA_HASH[algorithm]())
        elif isinstance(public, ec.EllipticCurvePublicKey) and algorithm == key.key_type:
            parts = _Reader(raw)
            r = int.from_bytes(parts.string(), "big", signed=True)
            s = int.from_bytes(parts.string(), "big", signed=True)
            public.verify(encode_dss_signature(r, s), signed, ec.ECDSA(_ECDSA_HASH[algorithm]()))
        else:
            raise BadSignature(f"signature algorithm {algorithm!r} does not fit a {key.key_type} key")
    except InvalidSignature:
        raise BadSignature(f"the signature by {key.principal} does not match the commit") from None
