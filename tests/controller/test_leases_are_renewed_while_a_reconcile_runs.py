"""An app lease is renewed while its reconcile runs, so a reconcile longer than the lease keeps
it; a replica that stops renewing (frozen, or counted out) loses it, and its writes are refused
once another replica took the app."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from kedge.controller.leases import Leases
from kedge.store import FencedError, Store
from tests.controller.conftest import wait_for
from tests.fixtures.pg import PgCluster, unique_name


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    return pg_cluster.url(pg_cluster.create_database(unique_name("leases_")))


@pytest.fixture
def stores(pg_url: str) -> Iterator[tuple[Store, Store]]:
    with Store.open(pg_url) as a, Store.open(pg_url) as b:
        yield a, b


@pytest.mark.postgres
def test_a_long_reconcile_keeps_its_lease(stores: tuple[Store, Store]) -> None:
    mine, theirs = stores
    leases = Leases(mine, "replica-a", ttl=0.9)
    leases.start()
    try:
        with leases.hold("web") as lease:
            assert lease is not None and leases.held() == ["web"]
            first_expiry = lease.expires_at.timestamp()
            wait_for(lambda: time.time() > first_expiry + 0.5, message="the first lease term passes")
            assert theirs.acquire_lease("app:web", "replica-b", ttl=5) is None, "still held"
            mine.add_event("web", "sync", message="written after the first term")
        assert theirs.acquire_lease("app:web", "replica-b", ttl=5) is not None, "handed back at the end"
    finally:
        leases.stop()
    assert [e.message for e in theirs.events("web")] == ["written after the first term"]


@pytest.mark.postgres
def test_a_replica_that_stops_renewing_is_fenced(stores: tuple[Store, Store]) -> None:
    mine, theirs = stores
    alive = [True]
    leases = Leases(mine, "replica-a", ttl=0.6, alive=lambda: alive[0])
    with leases.hold("web") as lease:
        assert lease is not None
        alive[0] = False  # counted out: it must not keep the app by renewing
        assert leases.renew() == []
        taken = wait_for(lambda: theirs.acquire_lease("app:web", "replica-b", ttl=30), message="takeover")
        assert taken.generation == lease.generation + 1
        with pytest.raises(FencedError):
            mine.start_run("web", revision="abc", trigger="drift", actor="controller")
        alive[0] = True
        assert leases.renew() == ["web"], "the renewer notices the loss"
    assert theirs.runs("web") == []
    assert ("app:web", "replica-b") in theirs.lease_holders(), "the stale holder's release is a no-op"
