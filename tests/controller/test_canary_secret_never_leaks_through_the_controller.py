"""A unique secret value used by an app goes through apply, drift, revert, a failing apply, the
API and the audit log, and then appears nowhere: not in a response, a log line, an event or the
state database."""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

import httpx

from kedge.api.asgi import create_asgi_app
from tests.api.server import serve
from tests.controller.conftest import app_spec, wait_for

TOKEN = "canary-test-admin-token-0123456789"


def test_canary_secret_appears_nowhere(
    make_controller, repo, root, tmp_path: Path, monkeypatch, caplog
) -> None:
    canary = "kedge-canary-" + secrets.token_hex(8)
    monkeypatch.setenv("APP_TOKEN", canary)
    caplog.set_level(logging.DEBUG)
    manifests = """
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: token}
spec: {path: token.txt, content: {fromEnv: APP_TOKEN}, mode: "0600"}
"""
    repo.commit({"app.yaml": manifests})
    controller = make_controller()
    api = create_asgi_app(
        controller,
        controller.store,
        admin_token=TOKEN,
        webhook_secret=None,
        metrics_registry=controller.metrics.registry,
    )
    bodies: list[str] = []
    with serve(api) as url, httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        http.post("/api/v1/apps", json={"name": "web", "spec": app_spec(repo.path)}).raise_for_status()
        wait_for(lambda: (root / "token.txt").exists() and (root / "token.txt").read_text() == canary)

        (root / "token.txt").write_text(canary + "-tampered")  # drift that holds the secret
        wait_for(lambda: (root / "token.txt").read_text() == canary, message="reverted")
        wait_for(lambda: [e for e in controller.events("web") if e["type"] == "drift" and e["revertedAt"]])

        # A failing apply: the second file's parent is a regular file.
        repo.commit(
            {
                "app.yaml": manifests
                + """---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: broken}
spec: {path: token.txt/inner, content: {fromEnv: APP_TOKEN}}
"""
            }
        )
        wait_for(lambda: controller.get_app("web")["status"]["health"] == "Degraded", message="failed apply")

        for path in [
            "/api/v1/apps",
            "/api/v1/apps/web",
            "/api/v1/apps/web/history",
            "/api/v1/apps/web/events",
            "/api/v1/apps/web/diff",
            "/api/v1/apps/web/resources",
            "/api/v1/audit",
            "/metrics",
        ]:
            response = http.get(path)
            assert response.status_code == 200, (path, response.text)
            bodies.append(response.text)
    exported = tmp_path / "audit.jsonl"
    with exported.open("w") as fp:
        controller.store.export_audit(fp)
    controller.stop()

    assert canary not in "\n".join(bodies), "an API response holds the secret"
    assert canary not in caplog.text, "a log line holds the secret"
    assert canary not in exported.read_text(), "the audit log holds the secret"
    assert canary not in json.dumps(controller.events("web")), "an event holds the secret"
    for db_file in tmp_path.glob("state.db*"):
        assert canary.encode() not in db_file.read_bytes(), f"{db_file.name} holds the secret"
    assert "(sensitive)" in "\n".join(bodies), "the secret was there to be redacted"
