"""A secret value used by an app (the canary) never appears in clear in any API response, UI
page or fragment, stream event or log line, although the control plane hands it over (as a
``Secret``) in the live diff, the resources and the drift events."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from kedge.store import Store
from tests.api.conftest import CANARY, bearer, make_app
from tests.api.fakes import FakeControlPlane
from tests.api.server import EventReader, serve

READS = [
    "/api/v1/apps",
    "/api/v1/apps/web",
    "/api/v1/apps/web/diff",
    "/api/v1/apps/web/resources",
    "/api/v1/apps/web/events",
    "/api/v1/apps/web/history",
    "/api/v1/audit",
    "/api/v1/tokens",
    "/metrics",
    "/openapi.json",
]
PAGES = [
    "/",
    "/apps/web",
    "/audit",
    *(f"/ui/apps/web/{s}" for s in ("header", "graph", "diff", "history", "drift", "events")),
    "/ui/apps",
]


@pytest.fixture
def live(control: FakeControlPlane, store: Store) -> Iterator[str]:
    with serve(make_app(control, store, heartbeat=0.2)) as url:
        yield url


def test_canary_appears_nowhere(
    live: str, control: FakeControlPlane, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    reader = EventReader(f"{live}/api/v1/stream", bearer(tokens["admin"]))
    try:
        control.sync("web", "test")
        reader.wait_for("sync", app="web", state="succeeded")
        control.drift("web")
        drift = reader.wait_for("drift", app="web")
        assert {"path": "password", "desired": "(sensitive)", "actual": "(sensitive)"} in drift["fields"]
        with httpx.Client(base_url=live, headers=bearer(tokens["admin"])) as http:
            for path in READS:
                response = http.get(path)
                assert response.status_code == 200, path
                seen.append(response.text)
            login = http.post("/login", data={"token": tokens["admin"]})
            assert login.status_code == 303
            assert "kedge_session" in http.cookies
            for path in PAGES:
                response = http.get(path)
                assert response.status_code == 200, path
                seen.append(response.text)
            seen.append(http.post("/api/v1/apps/web/sync", json={}).text)
        reader.wait_for("sync", app="web", state="succeeded")
    finally:
        reader.close()
    assert "(sensitive)" in "".join(seen)  # the secret's place is shown, redacted
    for text in [*seen, *reader.raw, *(r.getMessage() for r in caplog.records), caplog.text]:
        assert CANARY not in text
