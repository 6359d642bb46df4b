"""Signing in to the UI with a token: a session cookie scripts cannot read (HttpOnly) and other
sites cannot make the browser send (SameSite=Strict); the token itself never reaches the
browser again. Bad tokens, foreign ``next`` targets and cross-site posts are refused; signing
out or revoking the token ends the session."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kedge.store import Store


def sign_in(client: TestClient, token: str, next_: str = "/") -> str:
    response = client.post("/login", data={"token": token, "next": next_}, follow_redirects=False)
    assert response.status_code == 303
    return response.headers["location"]


def test_cookie_is_http_only_strict_and_holds_no_token(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post(
        "/login", data={"token": tokens["viewer"], "next": "/apps/web"}, follow_redirects=False
    )
    assert response.headers["location"] == "/apps/web"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("kedge_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert tokens["viewer"] not in cookie
    page = client.get("/apps/web")
    assert page.status_code == 200
    assert tokens["viewer"] not in page.text


def test_cookie_is_secure_when_served_over_https(api, tokens: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    with TestClient(api, base_url="https://kedge.example.test") as secure:
        response = secure.post("/login", data={"token": tokens["viewer"]}, follow_redirects=False)
    assert "Secure" in response.headers["set-cookie"]


def test_bad_token_goes_back_to_the_form_with_the_reason(client: TestClient) -> None:
    location = sign_in(client, "kedge_not-a-real-token")
    assert location.startswith("/login?error=invalid")
    page = client.get(location)
    assert page.status_code == 401
    assert "unknown, expired or revoked" in page.text
    assert "kedge_session" not in client.cookies


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_never_leaves_the_site(client: TestClient, tokens: dict[str, str], target: str) -> None:
    assert sign_in(client, tokens["viewer"], target) == "/"


def test_a_post_from_another_site_is_refused(client: TestClient, tokens: dict[str, str]) -> None:
    evil = {"Origin": "https://evil.example"}
    response = client.post("/login", data={"token": tokens["viewer"]}, headers=evil, follow_redirects=False)
    assert "error=cross_site" in response.headers["location"]
    sign_in(client, tokens["operator"])
    assert client.post("/api/v1/apps/web/sync", json={}, headers=evil).status_code == 403
    assert (
        client.post("/api/v1/apps/web/sync", json={}, headers={"Origin": "http://testserver"}).status_code
        == 202
    )


def test_pages_send_the_signed_out_to_the_form(client: TestClient) -> None:
    for path in ("/", "/apps/web", "/audit"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    assert client.get("/ui/apps/web/diff").status_code == 401


def test_sign_out_and_revocation_end_the_session(
    client: TestClient, store: Store, tokens: dict[str, str]
) -> None:
    sign_in(client, tokens["viewer"])
    assert client.get("/", follow_redirects=False).status_code == 200
    client.post("/logout", follow_redirects=False)
    assert client.get("/", follow_redirects=False).status_code == 303

    sign_in(client, tokens["viewer"])
    store.revoke_token("viewer")
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/apps").status_code == 401
