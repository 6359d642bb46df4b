"""``GET /api/v1/stream`` over real HTTP: status changes, syncs and drift arrive as server-sent
events; a scoped token hears only its apps; the stream ends when its token is revoked; a
client that goes away releases its subscription."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from kedge.store import Store
from tests.api.conftest import bearer, make_app
from tests.api.fakes import FakeControlPlane
from tests.api.server import EventReader, serve


@pytest.fixture
def live(control: FakeControlPlane, store: Store) -> Iterator[str]:
    with serve(make_app(control, store, heartbeat=0.2)) as url:
        yield url


def test_sync_and_drift_arrive_as_typed_events(
    live: str, control: FakeControlPlane, tokens: dict[str, str]
) -> None:
    reader = EventReader(f"{live}/api/v1/stream", bearer(tokens["viewer"]))
    try:
        assert reader.status == 200
        op = control.sync("web", "test")
        assert reader.wait_for("sync", app="web", id=op["id"], state="running")["type"] == "sync"
        done = reader.wait_for("sync", app="web", id=op["id"], state="succeeded")
        assert done["revision"] == op["revision"]
        status = reader.wait_for("app", app="web")
        assert status["status"]["sync"] == "Synced"
        control.drift("web", "File", "motd")
        drift = reader.wait_for("drift", app="web")
        assert drift["resource"] == {"kind": "File", "name": "motd"}
        assert drift["revertedAt"] is None
        control.revert("web")
        assert reader.wait_for("drift", app="web")["revertedAt"] is not None
    finally:
        reader.close()
    assert any(line.startswith("id: ") for line in reader.raw)


def test_app_filter_and_scoped_tokens_hear_only_their_apps(
    live: str, control: FakeControlPlane, tokens: dict[str, str]
) -> None:
    scoped = EventReader(f"{live}/api/v1/stream", bearer(tokens["scoped-operator"]))
    only_web = EventReader(f"{live}/api/v1/stream?app=web", bearer(tokens["viewer"]))
    try:
        control.publish("drift", "web", {"resource": {"kind": "File", "name": "a"}})
        control.publish("drift", "payments", {"resource": {"kind": "File", "name": "b"}})
        assert scoped.wait_for("drift")["app"] == "payments"
        assert only_web.wait_for("drift")["app"] == "web"
        control.publish("drift", "payments-db", {"marker": 2})
        control.publish("drift", "web", {"marker": 3})
        assert scoped.wait_for("drift")["app"] == "payments-db"
        assert only_web.wait_for("drift")["marker"] == 3
    finally:
        scoped.close()
        only_web.close()


def test_revoking_the_token_ends_its_stream(live: str, store: Store, tokens: dict[str, str]) -> None:
    reader = EventReader(f"{live}/api/v1/stream", bearer(tokens["viewer"]))
    try:
        store.revoke_token("viewer")
        assert reader.ended(timeout=5)
    finally:
        reader.close()


def test_a_client_that_leaves_releases_its_subscription(
    live: str, control: FakeControlPlane, tokens: dict[str, str]
) -> None:
    readers = [EventReader(f"{live}/api/v1/stream", bearer(tokens["viewer"])) for _ in range(3)]
    deadline = time.monotonic() + 5
    while control.subscribers < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert control.subscribers == 3
    for reader in readers:
        reader.close()
    deadline = time.monotonic() + 5
    while control.subscribers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert control.subscribers == 0


def test_heartbeats_keep_a_quiet_stream_open(live: str, tokens: dict[str, str]) -> None:
    reader = EventReader(f"{live}/api/v1/stream", bearer(tokens["viewer"]))
    try:
        time.sleep(0.7)
        assert sum(1 for line in reader.raw if line == ": heartbeat") >= 2
        assert not reader.ended(timeout=0)
    finally:
        reader.close()
