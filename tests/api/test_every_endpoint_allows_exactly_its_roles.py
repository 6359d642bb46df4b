"""Every endpoint, called with every kind of credential over real HTTP: allowed exactly where the
role allows (viewer < operator < admin), 403 for a role too low, 401 for no token and for
expired, revoked and forged ones. Health checks need nothing; the webhook has its own test."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from kedge.store import Store
from tests.api.conftest import REPO, ShiftedClock, bearer, issue_tokens, make_app, seeded_control
from tests.api.fakes import FakeControlPlane
from tests.api.server import serve

RANK = {"viewer": 0, "operator": 1, "admin": 2}
GOOD = {"viewer": "viewer", "operator": "operator", "admin": "admin", "admin-token": "admin"}
BAD = ("expired", "revoked", "forged")
SPEC = {"source": {"repoURL": REPO, "path": "apps/x"}}
_n = itertools.count()


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    role: str | None  # None: no credentials needed
    body: Callable[[], Any] | None = None
    ok: int = 200


def fresh_app(control: FakeControlPlane) -> str:
    name = f"victim-{next(_n)}"
    control.create_app(name, SPEC, "test")
    return name


ENDPOINTS = [
    Endpoint("GET", "/api/v1/apps", "viewer"),
    Endpoint("POST", "/api/v1/apps", "admin", lambda: {"name": f"new-{next(_n)}", "spec": SPEC}, 201),
    Endpoint("GET", "/api/v1/apps/web", "viewer"),
    Endpoint("DELETE", "/api/v1/apps/{victim}", "admin", ok=204),
    Endpoint("POST", "/api/v1/apps/web/sync", "operator", lambda: {}, 202),
    Endpoint("POST", "/api/v1/apps/web/rollback", "operator", lambda: {"id": 1}, 202),
    Endpoint("POST", "/api/v1/apps/web/suspend", "operator"),
    Endpoint("POST", "/api/v1/apps/web/resume", "operator"),
    Endpoint("GET", "/api/v1/apps/web/history", "viewer"),
    Endpoint("GET", "/api/v1/apps/web/events", "viewer"),
    Endpoint("GET", "/api/v1/apps/web/diff", "viewer"),
    Endpoint("GET", "/api/v1/apps/web/resources", "viewer"),
    Endpoint("GET", "/api/v1/apps/web/cost", "viewer"),
    Endpoint("GET", "/api/v1/operations/{op}", "viewer"),
    Endpoint("GET", "/api/v1/audit", "viewer"),
    Endpoint("GET", "/api/v1/audit/verify", "admin"),
    Endpoint("POST", "/api/v1/tokens", "admin", lambda: {"name": f"t{next(_n)}", "role": "viewer"}, 201),
    Endpoint("GET", "/api/v1/tokens", "admin"),
    Endpoint("DELETE", "/api/v1/tokens/{throwaway}", "admin", ok=204),
    Endpoint("GET", "/api/v1/stream", "viewer"),
    Endpoint("GET", "/api/v1/replicas", "viewer"),
    Endpoint("GET", "/metrics", "viewer"),
    Endpoint("GET", "/healthz", None),
    Endpoint("GET", "/readyz", None),
]


@dataclass
class World:
    url: str
    control: FakeControlPlane
    store: Store
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One server for the whole matrix: every case that changes something works on its own
    app or token, so the cases cannot disturb each other."""
    clock = ShiftedClock()
    control = seeded_control()
    control.sync("web", "test")
    control.sync("web", "test")
    deadline = time.monotonic() + 5
    while len(control.history("web")) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    with Store.open(str(tmp_path_factory.mktemp("matrix") / "state.db"), clock=clock) as store:
        tokens = issue_tokens(store, clock)
        with serve(make_app(control, store, heartbeat=0.2)) as url:
            yield World(url, control, store, tokens)
    control.close()


def call(
    http: httpx.Client, endpoint: Endpoint, headers: dict[str, str], control: FakeControlPlane, store: Store
) -> int:
    path = endpoint.path.format(
        victim=fresh_app(control) if "{victim}" in endpoint.path else "",
        op=control.sync("web", "test")["id"] if "{op}" in endpoint.path else "",
        throwaway=_throwaway(store) if "{throwaway}" in endpoint.path else "",
    )
    body = endpoint.body() if endpoint.body else None
    if endpoint.path.endswith("/stream"):
        with http.stream(endpoint.method, path, headers=headers) as response:
            return response.status_code
    return http.request(endpoint.method, path, headers=headers, json=body).status_code


def _throwaway(store: Store) -> str:
    name = f"throwaway-{next(_n)}"
    store.create_token(name, "viewer")
    return name


def expected(endpoint: Endpoint, credential: str | None) -> int:
    if endpoint.role is None:
        return endpoint.ok
    if credential is None or credential in BAD:
        return 401
    return endpoint.ok if RANK[GOOD[credential]] >= RANK[endpoint.role] else 403


CREDENTIALS = [None, *GOOD, *BAD]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_endpoint_answers_each_credential_as_its_role_allows(endpoint: Endpoint, world: World) -> None:
    seen = {}
    with httpx.Client(base_url=world.url, timeout=10) as http:
        for credential in CREDENTIALS:
            headers = bearer(world.tokens[credential]) if credential else {}
            seen[credential or "none"] = call(http, endpoint, headers, world.control, world.store)
    wanted = {credential or "none": expected(endpoint, credential) for credential in CREDENTIALS}
    assert seen == wanted


def test_errors_for_bad_credentials_say_why_without_echoing_the_token(world: World) -> None:
    for credential in BAD:
        response = httpx.get(f"{world.url}/api/v1/apps", headers=bearer(world.tokens[credential]))
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == "unauthorized"
        assert world.tokens[credential] not in response.text
        assert response.headers["www-authenticate"] == "Bearer"
    basic = httpx.get(f"{world.url}/api/v1/apps", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    assert "Bearer" in basic.json()["message"]
