"""A token scoped to app name patterns sees and acts on those apps only: other apps are absent
from lists and answer 404 exactly like missing ones, so their existence is not disclosed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kedge.store import Store
from tests.api.conftest import REPO, bearer
from tests.api.fakes import FakeControlPlane


def test_lists_and_reads_are_limited_to_the_patterns(client: TestClient, tokens: dict[str, str]) -> None:
    scoped = bearer(tokens["scoped-operator"])
    assert [a["name"] for a in client.get("/api/v1/apps", headers=scoped).json()] == [
        "payments",
        "payments-db",
    ]
    assert client.get("/api/v1/apps/payments", headers=scoped).status_code == 200
    hidden = client.get("/api/v1/apps/web", headers=scoped)
    missing = client.get("/api/v1/apps/nope", headers=scoped)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["message"] == "no app named 'web'"
    for section in ("history", "events", "diff", "resources"):
        assert client.get(f"/api/v1/apps/web/{section}", headers=scoped).status_code == 404


def test_actions_are_limited_to_the_patterns(
    client: TestClient, control: FakeControlPlane, tokens: dict[str, str]
) -> None:
    scoped = bearer(tokens["scoped-operator"])
    assert client.post("/api/v1/apps/payments/sync", json={}, headers=scoped).status_code == 202
    assert client.post("/api/v1/apps/web/sync", json={}, headers=scoped).status_code == 404
    assert client.post("/api/v1/apps/web/suspend", headers=scoped).status_code == 404
    assert [c[1] for c in control.calls if c[0] in ("sync", "suspend")] == ["payments"]
    op = control.sync("web", "test")
    assert client.get(f"/api/v1/operations/{op['id']}", headers=scoped).status_code == 404


def test_a_scoped_admin_creates_only_matching_apps(client: TestClient, store: Store) -> None:
    admin = bearer(store.create_token("pay-admin", "admin", apps=["payments-*"]))
    spec = {"source": {"repoURL": REPO}}
    assert (
        client.post("/api/v1/apps", json={"name": "payments-api", "spec": spec}, headers=admin).status_code
        == 201
    )
    refused = client.post("/api/v1/apps", json={"name": "web2", "spec": spec}, headers=admin)
    assert refused.status_code == 403


def test_the_audit_log_shows_a_scoped_token_only_its_apps(
    client: TestClient, store: Store, tokens: dict[str, str]
) -> None:
    store.audit("controller", "sync", app="payments", revision="abc")
    store.audit("controller", "sync", app="web", revision="def")
    store.audit("token:admin", "token.create", details={"name": "x"})
    seen = client.get("/api/v1/audit", headers=bearer(tokens["scoped-operator"])).json()
    assert [e["app"] for e in seen] == ["payments"]
    everything = client.get("/api/v1/audit", headers=bearer(tokens["viewer"])).json()
    assert [e["app"] for e in everything] == [None, "web", "payments"]
