"""A token in a URL ends up in logs, proxies and browser history: the server refuses any request
that carries credentials in its query string, valid or not, before looking at them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer


@pytest.mark.parametrize("key", ["token", "access_token", "api_key", "TOKEN"])
def test_query_string_token_is_refused_even_when_valid(
    client: TestClient, tokens: dict[str, str], key: str
) -> None:
    response = client.get(f"/api/v1/apps?{key}={tokens['admin']}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert "query string" in response.json()["message"]
    assert tokens["admin"] not in response.text


def test_query_string_token_is_refused_next_to_a_good_header(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = client.get(
        f"/api/v1/apps/web?access_token={tokens['viewer']}", headers=bearer(tokens["viewer"])
    )
    assert response.status_code == 400


def test_query_string_token_is_refused_on_the_stream_webhook_and_sign_in(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert client.get(f"/api/v1/stream?token={tokens['viewer']}").status_code == 400
    assert client.post(f"/api/v1/webhooks/git?token={tokens['admin']}", content=b"{}").status_code == 400
    assert (
        client.post(
            f"/login?token={tokens['admin']}", data={"token": tokens["admin"]}, follow_redirects=False
        ).status_code
        == 400
    )


def test_other_query_parameters_still_work(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/v1/apps?q=pay", headers=bearer(tokens["viewer"]))
    assert response.status_code == 200
    assert sorted(a["name"] for a in response.json()) == ["payments", "payments-db"]
