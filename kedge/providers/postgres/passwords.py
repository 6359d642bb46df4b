"""Passwords: sent as SCRAM verifiers, remembered by a keyed fingerprint, never kept in clear.

``scram_verifier`` computes what PostgreSQL stores for ``PASSWORD '...'`` (RFC 5802/7677), so
the clear value never reaches the server, its statement log or ``pg_stat_activity``.

``fingerprint`` is what the role's ownership mark (its ``COMMENT``, readable by every role that
can connect) keeps of the password applied: an HMAC-SHA256 of the role name and the password
under a key only Kedge holds. Without the key it is no guessing target (a salted hash would be:
anyone who reads the comment could test candidate passwords offline). The key comes from
``KEDGE_FINGERPRINT_KEY`` when set (set the same value on every replica), else from the
ProviderConfig's connection string, which holds Kedge's own credentials.

``AppliedPassword`` is what ``observe`` reports as ``state["password"]``: a ``Secret`` that
equals a desired password only when its fingerprint matches the stored one, so a changed
reference shows as drift and an unchanged one does not. A mark written by an earlier version
(a salted PBKDF2 hash) never matches: the next apply sets the same password again and
replaces the hash by a fingerprint, which is how existing comments are migrated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Mapping
from typing import Any

from kedge.model import Secret

SCRAM_ITERATIONS = 4096
FINGERPRINT_KEY_ENV = "KEDGE_FINGERPRINT_KEY"
_SCHEME = "hmac-sha256"


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


def fingerprint_key(dsn: str, env: Mapping[str, str] | None = None) -> bytes:
    """The HMAC key: from ``KEDGE_FINGERPRINT_KEY``, else from the connection string."""
    environ = os.environ if env is None else env
    material = environ.get(FINGERPRINT_KEY_ENV) or dsn
    return hashlib.sha256(b"kedge role password fingerprint\0" + material.encode()).digest()


def fingerprint(password: str, role: str, key: bytes) -> str:
    mac = hmac.new(key, role.encode() + b"\0" + _prepare(password), hashlib.sha256).digest()
    return f"{_SCHEME}${base64.urlsafe_b64encode(mac).decode()}"


def matches(password: str, stored: str, role: str, key: bytes) -> bool:
    if not stored.startswith(_SCHEME + "$"):
        return False  # an earlier version's hash: rewritten by the next apply
    return hmac.compare_digest(fingerprint(password, role, key), stored)


class AppliedPassword(Secret):
    """The password last applied, known only by its fingerprint (None: none recorded)."""

    __slots__ = ("_key", "_role")

    def __init__(self, stored: str | None, role: str = "", key: bytes = b"") -> None:
        super().__init__(stored, "fingerprint of the applied password")
        self._role = role
        self._key = key

    def __eq__(self, other: object) -> bool:
        stored = self.reveal()
        if isinstance(other, AppliedPassword):
            return bool(stored == other.reveal())
        value: Any = other.reveal() if isinstance(other, Secret) else other
        if not isinstance(value, str) or not isinstance(stored, str):
            return False
        return matches(value, stored, self._role, self._key)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.reveal())
