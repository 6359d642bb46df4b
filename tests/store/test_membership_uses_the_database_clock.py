"""Replicas register and heartbeat with the database's clock: a replica is alive while its
heartbeat lease runs, whatever the clocks of the machines say, and leaves at once when it
shuts down cleanly."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from kedge.store import Store


def test_replicas_are_live_until_their_heartbeat_runs_out(store: Store) -> None:
    store.heartbeat("a", "host-a", 10, ttl=60)
    store.heartbeat("b", "host-b", 11, ttl=0.2)
    deadline = time.monotonic() + 5
    while "b" in {r.name for r in store.replicas()}:
        assert time.monotonic() < deadline, "b's heartbeat never ran out"
        time.sleep(0.02)
    assert [r.name for r in store.replicas()] == ["a"]
    renewed = store.heartbeat("b", "host-b", 11, ttl=60)
    assert renewed.started_at <= renewed.last_seen
    assert [r.name for r in store.replicas()] == ["a", "b"], "a heartbeat brings it back"


def test_a_clean_shutdown_leaves_at_once(store: Store) -> None:
    store.heartbeat("a", "host-a", 10, ttl=60)
    store.heartbeat("b", "host-b", 11, ttl=60)
    store.leave("a")
    assert [r.name for r in store.replicas()] == ["b"]


def test_heartbeats_keep_the_replicas_start_time(store: Store) -> None:
    first = store.heartbeat("a", "host-a", 10, ttl=60)
    later = store.heartbeat("a", "host-a", 10, ttl=60)
    assert later.started_at == first.started_at
    assert later.last_seen >= first.last_seen


@pytest.mark.postgres
def test_skewed_machine_clocks_do_not_matter(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("one process serves a SQLite file: there is only one clock")
    ahead = datetime.now(UTC) + timedelta(hours=2)
    behind = datetime.now(UTC) - timedelta(hours=2)
    with Store.open(db_url, clock=lambda: ahead) as fast, Store.open(db_url, clock=lambda: behind) as slow:
        fast.heartbeat("fast", "h1", 1, ttl=30)
        slow.heartbeat("slow", "h2", 2, ttl=30)
        assert [r.name for r in fast.replicas()] == ["fast", "slow"]
        assert [r.name for r in slow.replicas()] == ["fast", "slow"]
        lease = fast.acquire_lease("app:web", "fast", ttl=30)
        assert lease is not None
        assert slow.acquire_lease("app:web", "slow", ttl=30) is None, "two hours behind, still held"
        seen = slow.replicas()[0].last_seen
        assert abs((seen - datetime.now(UTC)).total_seconds()) < 60, "stamped by the database"
