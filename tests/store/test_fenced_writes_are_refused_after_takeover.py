"""Leases carry a generation that grows on every takeover; a write made under a lease that was
lost (taken over, or simply expired) is refused in its own transaction and leaves nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from kedge.store import FencedError, Store

from .conftest import StepClock, file_entry


def _expire(store: Store, name: str) -> None:
    """Wait (by the store's clock) until lease ``name`` has run out."""
    deadline = time.monotonic() + 5
    while any(n == name for n, _ in store.lease_holders()):
        assert time.monotonic() < deadline, f"lease {name} never expired"
        time.sleep(0.02)


@pytest.fixture
def second(db_url: str, clock: StepClock) -> Iterator[Store]:
    """Another replica's handle on the same database (its own engine and connections)."""
    with Store.open(db_url, clock=clock) as opened:
        yield opened


def test_generation_grows_on_takeover_and_stays_on_renewal(store: Store, second: Store) -> None:
    first = store.acquire_lease("app:web", "replica-a", ttl=60)
    assert first is not None and first.generation == 1
    assert second.acquire_lease("app:web", "replica-b", ttl=60) is None, "held by replica-a"
    again = store.acquire_lease("app:web", "replica-a", ttl=60)
    assert again is not None and again.generation == 1, "taking what one holds renews it"
    renewed = store.renew_lease(first, ttl=60)
    assert renewed is not None and renewed.generation == 1
    store.release_lease("app:web", "replica-a")
    taken = second.acquire_lease("app:web", "replica-b", ttl=60)
    assert taken is not None and taken.generation == 2, "a release keeps the row and its generation"
    assert store.renew_lease(first, ttl=60) is None, "a lost lease cannot be renewed"


def test_a_stale_holders_writes_are_refused_and_leave_nothing(db_url: str) -> None:
    with Store.open(db_url) as old, Store.open(db_url) as new:
        stale = old.acquire_lease("app:web", "replica-a", ttl=0.3)
        assert stale is not None
        with old.fenced(stale):
            old.add_event("web", "drift", message="seen while holding the lease")
            old.audit("controller", "sync", app="web")
        _expire(new, "app:web")
        current = new.acquire_lease("app:web", "replica-b", ttl=60)
        assert current is not None and current.generation == stale.generation + 1
        audit_before = new.audit_head()
        with old.fenced(stale):
            with pytest.raises(FencedError, match="no longer held"):
                old.add_event("web", "drift", message="written after losing the lease")
            with pytest.raises(FencedError):
                old.put_inventory(file_entry("web", "motd"))
            with pytest.raises(FencedError):
                old.audit("controller", "sync", app="web")
            with pytest.raises(FencedError):
                old.check_fence()
        assert [e.message for e in new.events("web")] == ["seen while holding the lease"]
        assert new.inventory("web") == []
        assert new.audit_head() == audit_before
        assert new.verify_audit([]).ok
        with new.fenced(current):
            new.add_event("web", "sync", message="the new holder writes")
        assert len(new.events("web")) == 2


def test_an_expired_lease_fences_even_before_anyone_takes_over(store: Store) -> None:
    lease = store.acquire_lease("app:web", "replica-a", ttl=0.2)
    assert lease is not None
    _expire(store, "app:web")
    with store.fenced(lease), pytest.raises(FencedError):
        store.start_run("web", revision="abc", trigger="drift", actor="controller")
    assert store.runs("web") == []


def test_writes_outside_a_fence_are_not_checked(store: Store) -> None:
    lease = store.acquire_lease("app:web", "replica-a", ttl=0.2)
    assert lease is not None
    _expire(store, "app:web")
    store.add_event("web", "drift", message="an API request, not a reconcile")
    assert len(store.events("web")) == 1
