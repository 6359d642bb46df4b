"""Leases: one holder at a time, renewable by its holder, free again once released or expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from kedge.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_lease_has_one_holder_until_released_or_expired(tmp_path: Path) -> None:
    clock = Clock()
    with Store.open(str(tmp_path / "state.db"), clock=clock) as store:
        assert store.acquire_lease("app:web", "replica-a", ttl=60)
        assert not store.acquire_lease("app:web", "replica-b", ttl=60), "held by a"
        assert store.acquire_lease("app:web", "replica-a", ttl=60), "the holder renews"
        assert store.acquire_lease("app:other", "replica-b", ttl=60), "leases are per name"
        store.release_lease("app:web", "replica-b")  # not the holder: nothing happens
        assert not store.acquire_lease("app:web", "replica-b", ttl=60)
        store.release_lease("app:web", "replica-a")
        assert store.acquire_lease("app:web", "replica-b", ttl=60), "free once released"
        clock.now += timedelta(seconds=61)
        assert store.acquire_lease("app:web", "replica-a", ttl=60), "an expired lease is free"
        assert ("app:web", "replica-a") in store.lease_holders()
