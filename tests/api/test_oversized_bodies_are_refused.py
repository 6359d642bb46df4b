"""Bodies are capped at 1 MiB before routing and authentication: a declared Content-Length over
the cap is refused without reading a byte, a chunked body is read only up to the cap. Nothing
reaches the control plane."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from kedge.store import Store
from tests.api.conftest import REPO, WEBHOOK_SECRET, bearer, make_app
from tests.api.fakes import FakeControlPlane
from tests.api.server import serve

MIB = 1 << 20


def test_json_body_over_the_cap_is_413_with_the_error_shape(
    client: TestClient, tokens: dict[str, str], control: FakeControlPlane
) -> None:
    spec = {"source": {"repoURL": REPO}, "padding": "x" * MIB}
    response = client.post(
        "/api/v1/apps", json={"name": "big", "spec": spec}, headers=bearer(tokens["admin"])
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": f"request body larger than {MIB} bytes",
        "details": {"limit": MIB},
    }
    assert ("create_app", "big", "token:admin") not in control.calls


def test_body_at_the_cap_is_read(client: TestClient, tokens: dict[str, str]) -> None:
    body = json.dumps({"name": "fits", "spec": {"source": {"repoURL": REPO}, "pad": ""}})
    body = body.replace('"pad": ""', '"pad": "' + "x" * (MIB - len(body)) + '"')
    assert len(body) == MIB
    response = client.post(
        "/api/v1/apps", content=body, headers={**bearer(tokens["admin"]), "Content-Type": "application/json"}
    )
    assert response.status_code == 201


def test_oversized_body_is_refused_before_authentication(client: TestClient) -> None:
    response = client.post(
        "/api/v1/apps", content=b"x" * (MIB + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


@pytest.fixture
def live(control: FakeControlPlane, store: Store) -> Iterator[str]:
    with serve(make_app(control, store)) as url:
        yield url


def test_chunked_webhook_body_is_cut_at_the_cap(live: str, control: FakeControlPlane) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(64):  # 4 MiB offered in 64 KiB chunks
            sent += 65536
            yield b" " * 65536

    response = httpx.post(
        f"{live}/api/v1/webhooks/git",
        content=chunks(),
        headers={"X-Hub-Signature-256": "sha256=00", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert not [c for c in control.calls if c[0] == "sync"]


def test_declared_length_over_the_cap_is_answered_before_the_body_is_sent(live: str) -> None:
    host, port = urlsplit(live).hostname, urlsplit(live).port
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/v1/webhooks/git HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Hub-Signature-256: sha256=00\r\nContent-Length: 104857600\r\n\r\n"
        )
        started = time.monotonic()
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    assert time.monotonic() - started < 2


def test_webhook_over_the_cap_is_413_even_when_correctly_signed(live: str, control: FakeControlPlane) -> None:
    body = json.dumps({"repository": {"clone_url": REPO}, "pad": "x" * MIB}).encode()
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = httpx.post(
        f"{live}/api/v1/webhooks/git",
        content=body,
        headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert not [c for c in control.calls if c[0] == "sync"]
