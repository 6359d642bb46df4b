"""The REST API in front of the real controller: apps, a signed webhook, sync, history, events."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from kedge.api.asgi import create_asgi_app
from kedge.ui import mount
from tests.api.server import serve
from tests.controller.conftest import app_spec, file_doc, wait_for

TOKEN = "real-controller-admin-token-0123456789"
SECRET = "real-controller-webhook-secret"


def test_api_drives_the_real_controller(make_controller, repo, root) -> None:
    first = repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    controller = make_controller()
    api = create_asgi_app(
        controller,
        controller.store,
        admin_token=TOKEN,
        webhook_secret=SECRET,
        ui=mount,
        metrics_registry=controller.metrics.registry,
    )
    headers = {"Authorization": f"Bearer {TOKEN}"}
    spec = app_spec(repo.path)
    spec["source"]["pollInterval"] = "1h"  # only the webhook may bring the next commit quickly
    with serve(api) as url, httpx.Client(base_url=url, headers=headers, timeout=10) as http:
        created = http.post("/api/v1/apps", json={"name": "web", "spec": spec})
        assert created.status_code in (200, 201), created.text
        app = wait_for(lambda: (r := http.get("/api/v1/apps/web").json())["status"]["sync"] == "Synced" and r)
        assert app["status"]["health"] == "Healthy"
        assert app["status"]["lastAppliedRevision"] == first

        second = repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")})
        body = json.dumps({"ref": "refs/heads/main", "repository": {"clone_url": str(repo.path)}}).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        bad = http.post(
            "/api/v1/webhooks/git",
            content=body,
            headers={"X-Hub-Signature-256": "sha256=" + "0" * 64, "Content-Type": "application/json"},
        )
        assert bad.status_code == 401
        hook = http.post(
            "/api/v1/webhooks/git",
            content=body,
            headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
        )
        assert hook.status_code in (200, 202), hook.text
        wait_for(lambda: (root / "motd").read_text() == "v2\n", message="webhook-triggered sync")
        history = wait_for(
            lambda: (h := http.get("/api/v1/apps/web/history").json()) and h[0]["revision"] == second and h
        )
        # Any reconcile reads the branch head, so one woken by a watch event a moment before the
        # webhook may be the one that applies the commit: both name the commit as the cause.
        assert history[0]["trigger"] in ("webhook", "commit")
        assert "web" in hook.text
        assert set(history[0]) >= {"id", "revision", "trigger", "result", "startedAt", "finishedAt"}

        (root / "motd").write_text("tampered\n")
        wait_for(lambda: (root / "motd").read_text() == "v2\n", message="self-heal")
        events = wait_for(lambda: [e for e in http.get("/api/v1/apps/web/events").json() if e["revertedAt"]])
        assert events[0]["type"] == "drift" and events[0]["resource"] == {"kind": "File", "name": "motd"}

        rollback = http.post("/api/v1/apps/web/rollback", json={"id": history[-1]["id"]})
        assert rollback.status_code == 202, rollback.text
        wait_for(lambda: (root / "motd").read_text() == "v1\n", message="rollback")

        audit = http.get("/api/v1/audit").json()
        assert {"sync", "drift-detected", "rollback"} <= {e["action"] for e in audit}
        assert http.get("/api/v1/audit/verify").json()["ok"] is True
        metrics = http.get("/metrics").text
        assert 'kedge_app_info{app="web"' in metrics and "kedge_drift_events_total" in metrics
