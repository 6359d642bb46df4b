"""API tokens: created once in clear, kept only as a SHA-256 hash, checked on every request.

A token is ``kedge_`` followed by 32 random bytes in URL-safe base64, so a plain SHA-256 is
enough to store it (nothing to brute-force, unlike a password); look-up is by hash and the
final comparison is constant-time. ``verify_token`` answers None for a token that is unknown,
revoked or expired, and records when a token was last used, at most once a minute so a busy
client does not turn every request into a write.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kedge.model import ConfigError, ConflictError
from kedge.store.base import StoreBase
from kedge.store.records import ROLES, TokenRecord, document
from kedge.store.tables import TokenRow

PREFIX: Final = "kedge_"
LAST_USED_GRANULARITY: Final = timedelta(minutes=1)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,99}$")
_TOKEN = re.compile(r"^kedge_[A-Za-z0-9_-]{43}$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore(StoreBase):
    def create_token(
        self,
        name: str,
        role: str,
        *,
        expires_at: datetime | None = None,
        apps: list[str] | None = None,
    ) -> str:
        """Create a token and return it in clear: the only time it is ever seen.

        ``apps`` limits it to those apps (None: all). Raises ``ConfigError`` for a bad name,
        role or expiry, ``ConflictError`` when a token in force already has the name.
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(
                f"token name {name!r} is not valid: use letters, digits and . _ @ : - (at most 100)"
            )
        if role not in ROLES:
            raise ConfigError(f"token role must be one of {', '.join(ROLES)}, not {role!r}")
        now = self._now()
        expiry = None if expires_at is None else self._at(expires_at)
        if expiry is not None and expiry <= now:
            raise ConfigError(f"token {name!r} would expire at {expiry.isoformat()}, which is already past")
        if apps is not None and (
            not isinstance(apps, list) or not all(isinstance(a, str) and a for a in apps)
        ):
            raise ConfigError(f"token {name!r}: apps must be a list of app names")
        token = PREFIX + secrets.token_urlsafe(32)
        row = TokenRow(
            name=name,
            role=role,
            apps=None if apps is None else document(sorted(set(apps)), "token apps"),
            token_hash=token_hash(token),
            created_at=now,
            expires_at=expiry,
        )
        try:
            with self._write() as session:
                if session.scalar(
                    select(TokenRow.id).where(TokenRow.name == name, TokenRow.revoked_at.is_(None))
                ):
                    raise ConflictError(
                        f"a token named {name!r} exists: revoke it first, or choose another name"
                    )
                session.add(row)
        except IntegrityError:
            raise ConflictError(
                f"a token named {name!r} was created at the same time: choose another name"
            ) from None
        return token

    def verify_token(self, token: str) -> TokenRecord | None:
        """The token's record when ``token`` is in force; None when unknown, revoked or expired."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            return None
        digest = token_hash(token)
        now = self._now()
        with self._read() as session:
            row = session.scalar(select(TokenRow).where(TokenRow.token_hash == digest))
            if row is None or not hmac.compare_digest(row.token_hash, digest):
                return None
            if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
                return None
            record = _record(row)
        if record.last_used_at is None or now - record.last_used_at >= LAST_USED_GRANULARITY:
            with self._write() as session:
                session.execute(update(TokenRow).where(TokenRow.id == record.id).values(last_used_at=now))
            record = replace(record, last_used_at=now)
        return record

    def list_tokens(self, *, include_revoked: bool = False) -> list[TokenRecord]:
        """Tokens by name (those in force only, unless ``include_revoked``); no secrets."""
        query = select(TokenRow).order_by(TokenRow.name, TokenRow.id)
        if not include_revoked:
            query = query.where(TokenRow.revoked_at.is_(None))
        with self._read() as session:
            return [_record(row) for row in session.scalars(query)]

    def revoke_token(self, name: str) -> bool:
        """Revoke the token in force named ``name``; False when there is none."""
        statement = (
            update(TokenRow)
            .where(TokenRow.name == name, TokenRow.revoked_at.is_(None))
            .values(revoked_at=self._now())
        )
        with self._write() as session:
            return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _record(row: TokenRow) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        name=row.name,
        role=row.role,
        apps=None if row.apps is None else list(row.apps),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
