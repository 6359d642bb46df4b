"""API tokens: shown once, stored as a hash, refused when unknown, revoked or expired; names
are unique among tokens in force; last use is recorded at most once a minute."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from kedge.model import ConfigError, ConflictError
from kedge.store import Store
from kedge.store.database import parse_url


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def manual() -> ManualClock:
    return ManualClock()


@pytest.fixture
def tokens(db_url: str, manual: ManualClock) -> Iterator[Store]:
    with Store.open(db_url, clock=manual) as opened:
        yield opened


def stored_rows(db_url: str) -> list[str]:
    engine = create_engine(parse_url(db_url))
    try:
        with engine.connect() as connection:
            return [str(tuple(r)) for r in connection.execute(text("SELECT * FROM tokens"))]
    finally:
        engine.dispose()


def test_a_token_is_returned_once_and_only_its_hash_is_stored(tokens: Store, db_url: str) -> None:
    token = tokens.create_token("ci", "operator", apps=["web", "api", "web"])
    assert token.startswith("kedge_") and len(token) == len("kedge_") + 43
    rows = stored_rows(db_url)
    assert len(rows) == 1
    assert token not in rows[0] and token.removeprefix("kedge_") not in rows[0]
    assert hashlib.sha256(token.encode()).hexdigest() in rows[0]

    record = tokens.verify_token(token)
    assert record is not None
    assert (record.name, record.role, record.apps) == ("ci", "operator", ["api", "web"])
    assert record.allows("viewer") and record.allows("operator") and not record.allows("admin")
    assert token not in repr(tokens.list_tokens())


def test_two_tokens_are_different(tokens: Store) -> None:
    assert tokens.create_token("a", "viewer") != tokens.create_token("b", "viewer")


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        ("kedge_" + "A" * 43, "well-formed but never issued"),
        ("", "empty"),
        ("Bearer kedge_x", "not a token"),
        ("kedge_" + "A" * 4000, "oversized"),
    ],
)
def test_unknown_tokens_are_refused(tokens: Store, candidate: str, reason: str) -> None:
    tokens.create_token("ci", "admin")
    assert tokens.verify_token(candidate) is None, reason


def test_revoked_and_expired_tokens_are_refused(tokens: Store, manual: ManualClock) -> None:
    revoked = tokens.create_token("old", "admin")
    expiring = tokens.create_token("temp", "viewer", expires_at=manual.now + timedelta(hours=1))
    assert tokens.verify_token(revoked) is not None and tokens.verify_token(expiring) is not None

    assert tokens.revoke_token("old") is True
    assert tokens.revoke_token("old") is False
    assert tokens.verify_token(revoked) is None

    manual.advance(minutes=59)
    assert tokens.verify_token(expiring) is not None
    manual.advance(minutes=1)
    assert tokens.verify_token(expiring) is None
    assert [t.name for t in tokens.list_tokens()] == ["temp"]
    listed = {t.name: t for t in tokens.list_tokens(include_revoked=True)}
    assert listed["old"].revoked_at == manual.now - timedelta(hours=1)


def test_a_name_is_unique_among_tokens_in_force(tokens: Store) -> None:
    first = tokens.create_token("deploy", "operator")
    with pytest.raises(ConflictError, match="deploy"):
        tokens.create_token("deploy", "admin")
    assert tokens.revoke_token("deploy")
    second = tokens.create_token("deploy", "admin")
    assert tokens.verify_token(first) is None
    record = tokens.verify_token(second)
    assert record is not None and record.role == "admin"


def test_last_use_is_written_at_most_once_a_minute(tokens: Store, manual: ManualClock) -> None:
    token = tokens.create_token("ci", "viewer")
    first_use = manual.now
    assert tokens.verify_token(token).last_used_at == first_use  # type: ignore[union-attr]
    manual.advance(seconds=30)
    assert tokens.verify_token(token).last_used_at == first_use  # type: ignore[union-attr]
    assert tokens.list_tokens()[0].last_used_at == first_use
    manual.advance(seconds=31)
    assert tokens.verify_token(token).last_used_at == manual.now  # type: ignore[union-attr]
    assert tokens.list_tokens()[0].last_used_at == manual.now


@pytest.mark.parametrize(
    ("name", "role", "kwargs", "reason"),
    [
        ("ci", "root", {}, "unknown role"),
        ("", "viewer", {}, "empty name"),
        ("two words", "viewer", {}, "space in the name"),
        ("x" * 101, "viewer", {}, "name too long"),
        ("ci", "viewer", {"expires_at": datetime(2020, 1, 1, tzinfo=UTC)}, "already expired"),
        ("ci", "viewer", {"apps": "web"}, "apps not a list"),
    ],
)
def test_bad_tokens_are_refused_and_nothing_is_stored(
    tokens: Store, name: str, role: str, kwargs: dict[str, object], reason: str
) -> None:
    with pytest.raises(ConfigError):
        tokens.create_token(name, role, **kwargs)  # type: ignore[arg-type]
    assert tokens.list_tokens(include_revoked=True) == [], reason
