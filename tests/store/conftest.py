"""Fixtures of the state-store tests: every test runs on SQLite in ``tmp_path`` and, when
``KEDGE_TEST_PG_URL`` names a PostgreSQL database, on PostgreSQL too (in a schema of its own,
dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from kedge.model import Identity, InventoryEntry, ResourceKey
from kedge.store import Store

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


class StepClock:
    """A clock that moves one second per reading: ordering by time becomes deterministic."""

    def __init__(self, start: datetime = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh schema of the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'state.db'}"
        return
    base = os.environ.get("KEDGE_TEST_PG_URL")
    if not base:
        pytest.skip("KEDGE_TEST_PG_URL is not set")
    schema = f"store_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(base), autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def store(db_url: str, clock: StepClock) -> Iterator[Store]:
    with Store.open(db_url, clock=clock) as opened:
        yield opened


def file_key(name: str) -> ResourceKey:
    return ResourceKey("local.kedge.dev/v1", "File", name)


def file_identity(path: str, config: str = "default") -> Identity:
    return Identity("local", config, "File", path)


def file_entry(app: str, name: str, path: str | None = None, **spec: object) -> InventoryEntry:
    path = path or f"/{name}"
    return InventoryEntry(app, file_key(name), file_identity(path), {"path": path, **spec})
