"""Secrets encrypted in git with age: encrypt for a recipient, decrypt in memory with an identity.

    armor = encrypt("s3cret", [parse_recipient("age1...")])     # kedge secret encrypt
    decrypt = decrypter_from_env(os.environ)                     # KEDGE_AGE_IDENTITY_FILE
    decrypt(armor) == "s3cret"

A manifest holds ``{encrypted: "<armor>"}``: the ASCII-armored age file (``-----BEGIN AGE
ENCRYPTED FILE-----``). Whitespace inside the armor does not matter (YAML folding, a pasted
block), and the base64 of a binary age file is accepted too. The clear value lives only in
memory, inside a ``Secret``.

A value that cannot be decrypted raises one of the ``DecryptionError`` classes below; their
names say what is wrong (the manifests loader reports the class name at the value's file and
line), and their messages never hold key or ciphertext material:

    NotAgeArmor            not an age-encrypted value at all
    NotBase64              the armor's body is not base64
    TruncatedOrCorrupted   cut short or altered after encryption
    NotForThisIdentity     encrypted for another recipient than this server's identity (or its
                           header altered: the two cannot be told apart)
    NotUtf8Text            decrypts, but to bytes that are not UTF-8 text
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyrage

from kedge.manifests import Decrypter
from kedge.model import ConfigError

IDENTITY_ENV = "KEDGE_AGE_IDENTITY_FILE"
ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = "-----END AGE ENCRYPTED FILE-----"
AGE_HEADER = b"age-encryption.org/v1\n"
MAX_IDENTITY_FILE = 64 * 1024
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


class DecryptionError(ValueError):
    """An encrypted value that this server cannot turn into clear text."""

    message_is_safe = True  # the texts below never hold key or ciphertext material


class NotAgeArmor(DecryptionError):
    pass


class NotBase64(DecryptionError):
    pass


class TruncatedOrCorrupted(DecryptionError):
    pass


class NotForThisIdentity(DecryptionError):
    pass


class NotUtf8Text(DecryptionError):
    pass


def generate() -> tuple[str, str]:
    """A new X25519 identity and its recipient: (``AGE-SECRET-KEY-1...``, ``age1...``)."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def parse_recipient(text: str) -> Any:
    """An age X25519 recipient (``age1...``); ``ConfigError`` otherwise."""
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except Exception:
        raise ConfigError(
            f"{text.strip()[:80]!r} is not an age recipient: expected a public key such as age1..., "
            "as printed by `kedge secret keygen`"
        ) from None


def encrypt(value: str, recipients: Sequence[Any]) -> str:
    """``value`` encrypted for every recipient, as an age armor (ends with a newline)."""
    armored: bytes = pyrage.encrypt(value.encode("utf-8"), list(recipients), armored=True)
    return armored.decode("ascii")


def read_identities(path: Path) -> list[Any]:
    """The identities of an age identity file (as ``age-keygen`` or ``kedge secret keygen`` write)."""
    where = f"{IDENTITY_ENV}={path}"
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_IDENTITY_FILE + 1)
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such file; create one with `kedge secret keygen`") from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read it: {exc.strerror or type(exc).__name__}") from None
    if len(data) > MAX_IDENTITY_FILE:
        raise ConfigError(f"{where}: larger than 64 KiB; this is not an age identity file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not a text file; this is not an age identity file") from None
    identities: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(pyrage.x25519.Identity.from_str(line))
        except Exception:
            # Never quote the line: it may be a (damaged) secret key.
            raise ConfigError(
                f"{where}: line {number} is not an age identity (expected AGE-SECRET-KEY-1...)"
            ) from None
    if not identities:
        raise ConfigError(f"{where}: holds no age identity (expected a line AGE-SECRET-KEY-1...)")
    return identities


def decrypter(identities: Sequence[Any]) -> Decrypter:
    """A function from an ``encrypted`` value to its clear text; raises ``DecryptionError``."""
    keys = list(identities)

    def decrypt(value: str) -> str:
        ciphertext = _ciphertext(value)
        try:
            clear: bytes = pyrage.decrypt(ciphertext, keys)
        except pyrage.DecryptError as exc:
            if "no matching keys" in str(exc).lower():
                raise NotForThisIdentity("encrypted for another recipient") from None
            raise TruncatedOrCorrupted("the ciphertext is cut short or altered") from None
        try:
            return clear.decode("utf-8")
        except UnicodeDecodeError:
            raise NotUtf8Text("the clear value is not UTF-8 text") from None

    return decrypt


def decrypter_from_env(env: Mapping[str, str]) -> Decrypter | None:
    """The decrypter of the identity file named by ``KEDGE_AGE_IDENTITY_FILE``; None when unset."""
    path = env.get(IDENTITY_ENV, "").strip()
    if not path:
        return None
    return decrypter(read_identities(Path(path).expanduser()))


def _ciphertext(value: str) -> bytes:
    """The binary age file inside an armor (or inside plain base64)."""
    if not isinstance(value, str):
        raise NotAgeArmor("not a string")
    text = value.strip()
    if not text.startswith(ARMOR_BEGIN):
        if "-----" in text:
            raise NotAgeArmor("the armor has no begin line")
        try:
            data = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise NotAgeArmor("neither an age armor nor base64") from None
        if not data.startswith(AGE_HEADER):
            raise NotAgeArmor("not an age file")
        return data
    body, end, _rest = text[len(ARMOR_BEGIN) :].partition(ARMOR_END)
    if not end:
        raise TruncatedOrCorrupted("the armor has no end line")
    body = "".join(body.split())
    if not body or not _BASE64.match(body):
        raise NotBase64("the armor's body is not base64")
    if len(body) % 4:
        raise TruncatedOrCorrupted("the base64 body is cut short")
    try:
        data = base64.b64decode(body, validate=True)
    except binascii.Error:
        raise NotBase64("the armor's body is not base64") from None
    if not data.startswith(AGE_HEADER):
        raise TruncatedOrCorrupted("the armor does not start with an age header")
    return data
