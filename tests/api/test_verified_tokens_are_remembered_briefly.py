"""A verified token is remembered for a moment (a dashboard polling fifty times a second costs no
store reads), but a revocation through the server is immediate, one made directly in the store
takes effect within the cache's lifetime, and an expiry is honoured exactly."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi.testclient import TestClient

from kedge.store import Store
from tests.api.conftest import ShiftedClock, bearer, make_app
from tests.api.fakes import FakeControlPlane


def test_revocation_through_the_api_is_immediate(control: FakeControlPlane, store: Store, tokens) -> None:
    with TestClient(make_app(control, store, token_cache_ttl=60.0)) as client:
        viewer = bearer(tokens["viewer"])
        assert client.get("/api/v1/apps", headers=viewer).status_code == 200
        assert client.delete("/api/v1/tokens/viewer", headers=bearer(tokens["admin"])).status_code == 204
        assert client.get("/api/v1/apps", headers=viewer).status_code == 401


def test_revocation_in_the_store_takes_effect_within_the_cache_lifetime(
    control: FakeControlPlane, store: Store, tokens
) -> None:
    with TestClient(make_app(control, store, token_cache_ttl=0.3)) as client:
        viewer = bearer(tokens["viewer"])
        assert client.get("/api/v1/apps", headers=viewer).status_code == 200
        store.revoke_token("viewer")  # kedge token revoke --db, from another process
        time.sleep(0.4)
        assert client.get("/api/v1/apps", headers=viewer).status_code == 401


def test_an_expired_token_is_refused_even_while_remembered(
    control: FakeControlPlane, store: Store, clock: ShiftedClock
) -> None:
    token = store.create_token("short", "viewer", expires_at=store.now() + timedelta(minutes=5))
    with TestClient(make_app(control, store, token_cache_ttl=60.0)) as client:
        assert client.get("/api/v1/apps", headers=bearer(token)).status_code == 200
        clock.offset += timedelta(minutes=6)
        assert client.get("/api/v1/apps", headers=bearer(token)).status_code == 401
