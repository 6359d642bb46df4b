"""``GET /api/v1/replicas`` lists the live controller replicas, each with its last heartbeat and
the apps it owns; a token scoped to some apps sees only those in the lists."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from tests.api.conftest import bearer


def test_replicas_name_their_heartbeat_and_apps(client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.get("/api/v1/replicas", headers=bearer(tokens["viewer"]))
    assert answer.status_code == 200
    [replica] = answer.json()
    assert set(replica) == {"name", "lastSeen", "apps"}
    assert datetime.fromisoformat(replica["lastSeen"]).tzinfo is not None
    apps = [a["name"] for a in client.get("/api/v1/apps", headers=bearer(tokens["viewer"])).json()]
    assert replica["apps"] == sorted(apps)


def test_a_scoped_token_sees_only_its_apps(client: TestClient, tokens: dict[str, str]) -> None:
    [replica] = client.get("/api/v1/replicas", headers=bearer(tokens["scoped-operator"])).json()
    assert replica["apps"] == ["payments", "payments-db"]
