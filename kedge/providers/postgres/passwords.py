"""Passwords: sent as SCRAM verifiers, remembered as salted hashes, never kept in clear.

``scram_verifier`` computes what PostgreSQL stores for ``PASSWORD '...'`` (RFC 5802/7677), so
the clear value never reaches the server, its statement log or ``pg_stat_activity``.
``digest`` is the salted PBKDF2 hash kept in the role's ownership mark; ``AppliedPassword``
is what ``observe`` reports as ``state["password"]``: a ``Secret`` that equals a desired
password only when that password hashes to the stored digest, so a changed reference shows
as drift and an unchanged one does not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import unicodedata
from typing import Any

from kedge.model import Secret

SCRAM_ITERATIONS = 4096
_DIGEST_ITERATIONS = 4096
_DIGEST_SCHEME = "pbkdf2-sha256"
_verified: dict[tuple[str, str], bool] = {}
_verified_lock = threading.Lock()


def _prepare(password: str) -> bytes:
    # PostgreSQL applies SASLprep; for ASCII it is the identity, otherwise NFKC is its core.
    if not password.isascii():
        password = unicodedata.normalize("NFKC", password)
    return password.encode()


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", _prepare(password), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def digest(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    raw = hashlib.pbkdf2_hmac("sha256", _prepare(password), salt, _DIGEST_ITERATIONS)
    # Hash once more so the stored value is not a SCRAM SaltedPassword for any salt.
    value = hashlib.sha256(raw).digest()
    b64 = base64.urlsafe_b64encode
    return f"{_DIGEST_SCHEME}${_DIGEST_ITERATIONS}${b64(salt).decode()}${b64(value).decode()}"


def matches(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt_b64, _value = stored.split("$")
    except ValueError:
        return False
    if scheme != _DIGEST_SCHEME or iterations != str(_DIGEST_ITERATIONS):
        return False
    key = (stored, hashlib.sha256(password.encode()).hexdigest())
    with _verified_lock:
        if key in _verified:
            return _verified[key]
    try:
        salt = base64.urlsafe_b64decode(salt_b64)
    except ValueError:
        return False
    result = hmac.compare_digest(digest(password, salt), stored)
    with _verified_lock:
        _verified[key] = result
    return result


class AppliedPassword(Secret):
    """The password last applied, known only by its salted hash (None: none recorded)."""

    __slots__ = ()

    def __init__(self, stored: str | None) -> None:
        super().__init__(stored, "salted hash of the applied password")

    def __eq__(self, other: object) -> bool:
        stored = self.reveal()
        if isinstance(other, AppliedPassword):
            return bool(stored == other.reveal())
        value: Any = other.reveal() if isinstance(other, Secret) else other
        if not isinstance(value, str) or not isinstance(stored, str):
            return False
        return matches(value, stored)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.reveal())
