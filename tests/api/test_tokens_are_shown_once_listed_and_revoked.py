"""Tokens through the API: an unscoped admin creates one (shown once, stored hashed), lists
them (never the token itself), revokes one (it stops working at once); every change is in the
audit log under the admin's name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from kedge.store import Store
from tests.api.conftest import ADMIN_TOKEN, ShiftedClock, bearer


def test_create_use_list_and_revoke(client: TestClient, store: Store, tokens: dict[str, str]) -> None:
    admin = bearer(tokens["admin"])
    created = client.post(
        "/api/v1/tokens",
        json={"name": "ci-deploy", "role": "operator", "expiresIn": "30d", "apps": ["pay-*", "web"]},
        headers=admin,
    )
    assert created.status_code == 201
    body = created.json()
    token = body["token"]
    assert token.startswith("kedge_")
    assert (body["name"], body["role"], body["apps"]) == ("ci-deploy", "operator", ["pay-*", "web"])
    expires = datetime.fromisoformat(body["expiresAt"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)

    assert client.post("/api/v1/apps/web/sync", json={}, headers=bearer(token)).status_code == 202
    listed = client.get("/api/v1/tokens", headers=admin)
    assert token not in listed.text
    assert "ci-deploy" in [t["name"] for t in listed.json()]
    assert all("token" not in t for t in listed.json())

    assert client.delete("/api/v1/tokens/ci-deploy", headers=admin).status_code == 204
    assert client.post("/api/v1/apps/web/sync", json={}, headers=bearer(token)).status_code == 401
    assert client.delete("/api/v1/tokens/ci-deploy", headers=admin).status_code == 404

    actions = [(e.actor, e.action, (e.details or {}).get("name")) for e in store.audit_entries()]
    assert ("token:admin", "token.revoke", "ci-deploy") in actions
    assert ("token:admin", "token.create", "ci-deploy") in actions
    assert all(token not in str(e.to_json()) for e in store.audit_entries())


def test_a_name_in_force_cannot_be_taken_twice(client: TestClient, tokens: dict[str, str]) -> None:
    first = client.post("/api/v1/tokens", json={"name": "dup", "role": "viewer"}, headers=bearer(ADMIN_TOKEN))
    again = client.post("/api/v1/tokens", json={"name": "dup", "role": "viewer"}, headers=bearer(ADMIN_TOKEN))
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_a_scoped_admin_cannot_manage_tokens(
    client: TestClient, store: Store, tokens: dict[str, str]
) -> None:
    scoped_admin = store.create_token("team-admin", "admin", apps=["payments*"])
    for method, path, body in [
        ("GET", "/api/v1/tokens", None),
        ("DELETE", "/api/v1/tokens/viewer", None),
        ("POST", "/api/v1/tokens", {"name": "mine", "role": "admin"}),
    ]:
        response = client.request(method, path, json=body, headers=bearer(scoped_admin))
        assert response.status_code == 403, (method, path)
    assert "viewer" in [t.name for t in store.list_tokens()]


def test_an_expired_token_stops_working_without_a_restart(
    client: TestClient, store: Store, clock: ShiftedClock
) -> None:
    token = store.create_token("short", "viewer", expires_at=datetime.now(UTC) + timedelta(minutes=5))
    assert client.get("/api/v1/apps", headers=bearer(token)).status_code == 200
    clock.offset = timedelta(minutes=6)
    assert client.get("/api/v1/apps", headers=bearer(token)).status_code == 401
