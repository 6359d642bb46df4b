"""Every error the API answers has the shape ``{code, message, details}``, whatever produced
it; a failure inside the control plane is a 500 whose message says nothing of the exception
(which could hold anything, a secret included) and whose log line names only its type."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kedge.model import ConflictError, TemporaryError
from tests.api.conftest import CANARY, bearer
from tests.api.fakes import FakeControlPlane


def shape(response) -> dict:  # type: ignore[no-untyped-def, type-arg]
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert isinstance(body["code"], str) and isinstance(body["message"], str) and body["message"]
    return body


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/nowhere", 404, "not_found"),
        ("PUT", "/api/v1/apps", 405, "method_not_allowed"),
        ("GET", "/api/v1/apps/nope", 404, "not_found"),
        ("GET", "/api/v1/operations/op-missing", 404, "not_found"),
        ("DELETE", "/api/v1/tokens/nobody", 404, "not_found"),
    ],
)
def test_framework_and_route_errors_share_the_shape(
    client: TestClient, tokens: dict[str, str], method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, path, headers=bearer(tokens["admin"]))
    assert response.status_code == status
    assert shape(response)["code"] == code


def test_a_bug_in_the_control_plane_is_a_500_that_reveals_nothing(
    client: TestClient, control: FakeControlPlane, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(name: str, **_: object) -> list:  # type: ignore[type-arg]
        raise RuntimeError(f"connect failed for postgres://app:{CANARY}@db/app")

    control.history = broken  # type: ignore[method-assign]
    with TestClient(client.app, raise_server_exceptions=False) as c:  # type: ignore[arg-type]
        response = c.get("/api/v1/apps/web/history", headers=bearer(tokens["viewer"]))
    assert response.status_code == 500
    assert shape(response)["code"] == "internal"
    assert CANARY not in response.text
    assert CANARY not in caplog.text
    assert "RuntimeError" in caplog.text


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ConflictError("File/motd is owned by app 'other'"), 409, "conflict"),
        (TemporaryError("the state store is busy", delay=3), 503, "unavailable"),
    ],
)
def test_kedge_errors_keep_their_meaning(
    client: TestClient,
    control: FakeControlPlane,
    tokens: dict[str, str],
    error: Exception,
    status: int,
    code: str,
) -> None:
    def failing(*args: object, **kwargs: object) -> dict:  # type: ignore[type-arg]
        raise error

    control.sync = failing  # type: ignore[method-assign]
    response = client.post("/api/v1/apps/web/sync", json={}, headers=bearer(tokens["operator"]))
    assert response.status_code == status
    body = shape(response)
    assert body["code"] == code
    assert body["message"] == str(error)
    if status == 503:
        assert response.headers["retry-after"] == "3"


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    response = client.get("/api/v1/apps")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
