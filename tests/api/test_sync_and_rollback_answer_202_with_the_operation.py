"""Syncs and rollbacks answer 202 with the operation at once; the operation can be followed to
its end; history lists what happened, newest first, in the design's shape."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.api.conftest import bearer
from tests.api.fakes import FakeControlPlane


def settle(client: TestClient, op: dict, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 5
    while op["state"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.01)
        op = client.get(f"/api/v1/operations/{op['id']}", headers=headers).json()
    return op


def test_sync_then_rollback(client: TestClient, control: FakeControlPlane, tokens: dict[str, str]) -> None:
    operator = bearer(tokens["operator"])
    first = client.post("/api/v1/apps/web/sync", json={"revision": "v1"}, headers=operator)
    assert first.status_code == 202
    assert (first.json()["app"], first.json()["type"], first.json()["state"]) == ("web", "sync", "queued")
    assert settle(client, first.json(), operator)["state"] == "succeeded"
    second = client.post("/api/v1/apps/web/sync", json={"revision": "v2", "prune": True}, headers=operator)
    assert settle(client, second.json(), operator)["state"] == "succeeded"

    history = client.get("/api/v1/apps/web/history", headers=operator).json()
    assert [h["revision"].split("@")[0] for h in history] == ["v2", "v1"]
    assert {"id", "revision", "trigger", "result", "startedAt", "finishedAt"} <= set(history[0])

    back = client.post("/api/v1/apps/web/rollback", json={"id": history[-1]["id"]}, headers=operator)
    assert back.status_code == 202
    assert back.json()["type"] == "rollback"
    assert back.json()["revision"] == history[-1]["revision"]
    assert settle(client, back.json(), operator)["state"] == "succeeded"
    app = client.get("/api/v1/apps/web", headers=operator).json()
    assert app["status"]["lastAppliedRevision"] == history[-1]["revision"]
    assert ("sync", "web", "token:operator") in control.calls


def test_rollback_to_an_unknown_entry_is_404(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/api/v1/apps/web/rollback", json={"id": 999}, headers=bearer(tokens["operator"]))
    assert response.status_code == 404
    assert "999" in response.json()["message"]


def test_app_views_have_the_design_shape(client: TestClient, tokens: dict[str, str]) -> None:
    for app in client.get("/api/v1/apps", headers=bearer(tokens["viewer"])).json():
        assert set(app) >= {"name", "spec", "status"}
        status = app["status"]
        assert status["sync"] in ("Synced", "OutOfSync", "Unknown")
        assert status["health"] in ("Healthy", "Progressing", "Degraded", "Missing", "Unknown")
        assert {"lastAppliedRevision", "lastAttemptedRevision", "conditions"} <= set(status)
        assert all(set(c) >= {"type", "status", "reason", "message"} for c in status["conditions"])


def test_suspend_and_resume_return_the_app(client: TestClient, tokens: dict[str, str]) -> None:
    operator = bearer(tokens["operator"])
    assert client.post("/api/v1/apps/web/suspend", headers=operator).json()["status"]["suspended"] is True
    assert client.post("/api/v1/apps/web/resume", headers=operator).json()["status"]["suspended"] is False


def test_create_replace_and_delete(
    client: TestClient, control: FakeControlPlane, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    spec = {
        "source": {"repoURL": "https://git.example.test/x.git", "path": "a"},
        "syncPolicy": {"prune": True},
    }
    created = client.post("/api/v1/apps", json={"name": "fresh", "spec": spec}, headers=admin)
    assert created.status_code == 201
    assert created.json()["spec"] == spec
    spec["source"]["path"] = "b"
    assert client.post("/api/v1/apps", json={"name": "fresh", "spec": spec}, headers=admin).status_code == 200
    assert client.delete("/api/v1/apps/fresh", headers=admin).status_code == 204
    assert client.get("/api/v1/apps/fresh", headers=admin).status_code == 404
    assert ("delete_app", "fresh", "token:admin") in control.calls
