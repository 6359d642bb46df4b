"""The git webhook: refused without a configured secret, refused with a bad or missing
signature (control plane untouched), accepted with GitHub's X-Hub-Signature-256 over the raw
body, and answered ``ping`` without any work."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from fastapi.testclient import TestClient

from kedge.api.asgi import ApiSettings, create_asgi_app
from kedge.store import Store
from tests.api.conftest import REPO, WEBHOOK_SECRET
from tests.api.fakes import FakeControlPlane

PUSH = json.dumps({"ref": "refs/heads/main", "after": "a" * 40, "repository": {"clone_url": REPO}}).encode()


def signed(body: bytes, secret: str = WEBHOOK_SECRET, event: str = "push") -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": event,
        "Content-Type": "application/json",
    }


def syncs(control: FakeControlPlane) -> list[tuple[str, ...]]:
    return [c for c in control.calls if c[0] == "sync"]


def test_signed_push_refreshes_the_apps_of_that_repository(
    client: TestClient, control: FakeControlPlane
) -> None:
    response = client.post("/api/v1/webhooks/git", content=PUSH, headers=signed(PUSH))
    assert response.status_code == 202
    assert response.json() == {"apps": ["payments", "payments-db", "web"]}
    assert {c[1] for c in syncs(control)} == {"payments", "payments-db", "web"}
    assert {c[2] for c in syncs(control)} == {"webhook"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": signed(PUSH, "another-secret")["X-Hub-Signature-256"]},
        {"X-Hub-Signature-256": signed(PUSH)["X-Hub-Signature-256"].replace("sha256=", "sha1=")},
        {"X-Hub-Signature-256": signed(PUSH + b" ")["X-Hub-Signature-256"]},
    ],
    ids=["missing", "zeros", "other secret", "wrong algorithm", "body changed"],
)
def test_bad_signature_is_401_and_changes_nothing(
    client: TestClient, control: FakeControlPlane, headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/webhooks/git", content=PUSH, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert syncs(control) == []


def test_without_a_secret_every_delivery_is_refused(control: FakeControlPlane, store: Store) -> None:
    app = create_asgi_app(control, store, admin_token=None, webhook_secret=None, settings=ApiSettings())
    with TestClient(app) as c:
        response = c.post("/api/v1/webhooks/git", content=PUSH, headers=signed(PUSH))
    assert response.status_code == 403
    assert "no webhook secret" in response.json()["message"]
    assert syncs(control) == []


def test_ping_is_answered_without_work(client: TestClient, control: FakeControlPlane) -> None:
    body = b'{"zen": "Keep it logically awesome."}'
    response = client.post("/api/v1/webhooks/git", content=body, headers=signed(body, event="ping"))
    assert response.status_code == 202
    assert response.json() == {"apps": []}
    assert syncs(control) == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2, 3]", b"\xff\xfe"], ids=["text", "array", "binary"])
def test_signed_body_that_is_not_a_json_object_is_422(
    client: TestClient, control: FakeControlPlane, body: bytes
) -> None:
    response = client.post("/api/v1/webhooks/git", content=body, headers=signed(body))
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "body"
    assert syncs(control) == []


def test_bad_signatures_count_as_failed_sign_ins(control: FakeControlPlane, store: Store) -> None:
    app = create_asgi_app(
        control, store, admin_token=None, webhook_secret=WEBHOOK_SECRET, settings=ApiSettings(failed_logins=2)
    )
    with TestClient(app) as c:
        for _ in range(2):
            assert (
                c.post(
                    "/api/v1/webhooks/git", content=PUSH, headers={"X-Hub-Signature-256": "sha256=1"}
                ).status_code
                == 401
            )
        assert c.post("/api/v1/webhooks/git", content=PUSH, headers=signed(PUSH)).status_code == 429
