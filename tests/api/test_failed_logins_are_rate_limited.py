"""Failed sign-ins are counted per client address: past the limit the client gets 429 with
Retry-After, whatever token it presents next, until the failures age out of the window. Other
clients are not affected; requests without credentials do not count."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kedge.store import Store
from tests.api.conftest import bearer, make_app
from tests.api.fakes import FakeControlPlane


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def limited(control: FakeControlPlane, store: Store, ticks: Ticks) -> Iterator[TestClient]:
    app = make_app(control, store, failed_logins=3, failed_login_window=60.0, clock=ticks)
    with TestClient(app, client=("203.0.113.7", 40000)) as c:
        yield c


def test_fourth_failure_in_the_window_is_429_even_with_a_good_token(
    limited: TestClient, tokens: dict[str, str], ticks: Ticks
) -> None:
    for _ in range(3):
        assert limited.get("/api/v1/apps", headers=bearer(tokens["forged"])).status_code == 401
    blocked = limited.get("/api/v1/apps", headers=bearer(tokens["viewer"]))
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "rate_limited"
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    ticks.now += 61
    assert limited.get("/api/v1/apps", headers=bearer(tokens["viewer"])).status_code == 200


def test_other_clients_and_anonymous_requests_are_not_counted(
    control: FakeControlPlane, store: Store, tokens: dict[str, str], ticks: Ticks
) -> None:
    app = make_app(control, store, failed_logins=3, failed_login_window=60.0, clock=ticks)
    with (
        TestClient(app, client=("203.0.113.8", 1)) as attacker,
        TestClient(app, client=("198.51.100.2", 1)) as user,
    ):
        for _ in range(10):
            assert attacker.get("/api/v1/apps").status_code == 401  # no token: not a failed sign-in
        assert attacker.get("/api/v1/apps", headers=bearer(tokens["viewer"])).status_code == 200
        for _ in range(5):
            attacker.get("/api/v1/apps", headers=bearer(tokens["revoked"]))
        assert attacker.get("/api/v1/apps", headers=bearer(tokens["viewer"])).status_code == 429
        assert user.get("/api/v1/apps", headers=bearer(tokens["viewer"])).status_code == 200


def test_failed_ui_sign_ins_count_and_are_told_apart(limited: TestClient, tokens: dict[str, str]) -> None:
    for _ in range(3):
        response = limited.post("/login", data={"token": "guess", "next": "/"}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?error=invalid")
    response = limited.post("/login", data={"token": tokens["viewer"], "next": "/"}, follow_redirects=False)
    assert response.headers["location"].startswith("/login?error=rate_limited")
    assert "set-cookie" not in response.headers
    page = limited.get(response.headers["location"])
    assert "Too many failed sign-ins" in page.text
