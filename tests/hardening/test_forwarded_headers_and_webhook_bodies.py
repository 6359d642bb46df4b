"""Through ``kedge serve`` (config file, uvicorn, the real controller): ``X-Forwarded-For`` is
believed only from ``spec.trustedProxies``, and a signed webhook body nested 100,000 deep is a 400.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from kedge.cli.server import Server, read_config
from kedge.model import ConfigError

ADMIN = "serve-admin-token-0123456789abcdef"
SECRET = "serve-webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def kedge_serve(tmp_path: Path, extra: str = "") -> Iterator[httpx.Client]:
    config = tmp_path / "server.yaml"
    config.write_text(
        "apiVersion: kedge.dev/v1\nkind: ServerConfig\nmetadata: {name: server}\n"
        f'spec:\n  db: "{tmp_path / "state.db"}"\n  adminToken: {ADMIN}\n  webhookSecret: {SECRET}\n{extra}'
    )
    settings = read_config(config)
    settings.port = free_port()
    server = Server.build(settings, cache_dir=tmp_path / "git")
    server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{settings.port}", timeout=10) as http:
            yield http
    finally:
        server.stop()


def guesses(http: httpx.Client, forwarded: list[str]) -> list[int]:
    return [
        http.get("/api/v1/apps", headers={"Authorization": "Bearer wrong", "X-Forwarded-For": f}).status_code
        for f in forwarded
    ]


def test_forwarded_for_from_an_untrusted_peer_cannot_dodge_the_limiter(tmp_path: Path) -> None:
    with kedge_serve(tmp_path) as http:
        codes = guesses(http, [f"203.0.113.{i}" for i in range(12)])
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429, 429]


def test_forwarded_for_from_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    with kedge_serve(tmp_path, "  trustedProxies: [127.0.0.1/32]\n") as http:
        # Each forwarded client has its own count; one client past the limit is refused.
        assert set(guesses(http, [f"203.0.113.{i}" for i in range(12)])) == {401}
        codes = guesses(http, ["198.51.100.7"] * 11)
        assert codes[-1] == 429
        assert guesses(http, ["198.51.100.8"]) == [401]


def test_a_bad_trusted_proxy_entry_is_named(tmp_path: Path) -> None:
    config = tmp_path / "server.yaml"
    config.write_text(
        "apiVersion: kedge.dev/v1\nkind: ServerConfig\nmetadata: {name: server}\n"
        "spec:\n  trustedProxies: [10.0.0.0/8, proxy.example]\n"
    )
    with pytest.raises(ConfigError, match=r"spec\.trustedProxies\[1\]: 'proxy\.example' is not an IP"):
        read_config(config)


def test_a_deeply_nested_signed_webhook_body_is_a_400(tmp_path: Path) -> None:
    body = b'{"ref": "refs/heads/main", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with kedge_serve(tmp_path) as http:
        answer = http.post(
            "/api/v1/webhooks/git",
            content=body,
            headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
        )
        assert answer.status_code == 400, answer.text
        assert "deeper than 64" in answer.json()["message"]
        assert http.get("/healthz").status_code == 200
