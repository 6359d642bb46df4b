"""Fixtures for the HTTP layer: a real state store (SQLite in a tmp dir) with real tokens, the
in-memory control plane, the application, and a test client.

``tokens`` holds one token per role plus the bad ones: ``expired`` (its expiry passed),
``revoked``, ``forged`` (the right shape, never issued) and ``admin-token`` (the bootstrap one).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kedge.api.asgi import ApiSettings, create_asgi_app
from kedge.store import Store
from tests.api.fakes import FakeControlPlane

ADMIN_TOKEN = "bootstrap-admin-token-for-tests-0123456789"
WEBHOOK_SECRET = "webhook-secret-for-tests"
CANARY = "canary-s3cr3t-7f1d2c9e"
REPO = "https://git.example.test/platform/apps.git"


class ShiftedClock:
    """Real time plus an offset the test can move."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty state database at the current schema, made once: copying it is much faster
    than migrating a new one for every test."""
    path = tmp_path_factory.mktemp("template") / "state.db"
    Store.open(str(path)).close()
    return path


@pytest.fixture
def store(tmp_path: Path, clock: ShiftedClock, migrated_db: Path) -> Iterator[Store]:
    path = tmp_path / "state.db"
    shutil.copyfile(migrated_db, path)
    with Store.open(str(path), clock=clock) as s:
        yield s


def seeded_control() -> FakeControlPlane:
    fake = FakeControlPlane(canary=CANARY, step=0.01)
    for name in ("payments", "payments-db", "web"):
        fake.create_app(
            name, {"source": {"repoURL": REPO, "path": f"apps/{name}", "targetRevision": "main"}}, "config"
        )
    return fake


@pytest.fixture
def control() -> Iterator[FakeControlPlane]:
    fake = seeded_control()
    yield fake
    fake.close()


@pytest.fixture
def tokens(store: Store, clock: ShiftedClock) -> dict[str, str]:
    return issue_tokens(store, clock)


def issue_tokens(store: Store, clock: ShiftedClock) -> dict[str, str]:
    out = {role: store.create_token(role, role) for role in ("viewer", "operator", "admin")}
    out["scoped-operator"] = store.create_token("scoped", "operator", apps=["payments*"])
    out["revoked"] = store.create_token("revoked", "admin")
    store.revoke_token("revoked")
    clock.offset = -timedelta(hours=2)
    out["expired"] = store.create_token("expired", "admin", expires_at=datetime.now(UTC) - timedelta(hours=1))
    clock.offset = timedelta()
    out["forged"] = "kedge_" + "A" * 43
    out["admin-token"] = ADMIN_TOKEN
    return out


def make_app(control: FakeControlPlane, store: Store, **settings: object) -> FastAPI:
    from kedge import ui

    return create_asgi_app(
        control,
        store,
        admin_token=ADMIN_TOKEN,
        webhook_secret=WEBHOOK_SECRET,
        # Tokens are re-read on every request: the tests revoke them directly in the store.
        settings=ApiSettings(**{"failed_logins": 100_000, "token_cache_ttl": 0.0, **settings}),  # type: ignore[arg-type]
        ui=ui.mount,
    )


@pytest.fixture
def api(control: FakeControlPlane, store: Store) -> FastAPI:
    return make_app(control, store)


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api, base_url="http://testserver") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
