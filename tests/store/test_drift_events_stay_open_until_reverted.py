"""App events: drift stays open until marked reverted; timelines are newest first; counts feed
the metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kedge.model import Secret
from kedge.store import Store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FIELDS = [{"path": "mode", "desired": "0644", "actual": "0666"}]


def test_drift_is_open_until_reverted(store: Store) -> None:
    first = store.add_event("web", "drift", resource_kind="File", resource_name="a", fields=FIELDS)
    second = store.add_event("web", "drift", resource_kind="File", resource_name="b", fields=FIELDS)
    store.add_event("web", "sync", message="applied abc123")
    store.add_event("api", "drift", resource_kind="File", resource_name="c")

    assert [e.id for e in store.open_drift("web")] == [first, second]
    assert store.open_drift("web")[0].fields == FIELDS

    reverted = T0 + timedelta(minutes=5)
    assert store.mark_reverted([first], reverted_at=reverted) == 1
    assert store.mark_reverted([first]) == 0  # already closed: the first revert time stays
    assert [e.id for e in store.open_drift("web")] == [second]
    closed = next(e for e in store.events("web") if e.id == first)
    assert closed.reverted_at == reverted
    assert [e.resource_name for e in store.open_drift("api")] == ["c"]


def test_events_are_newest_first_and_limited(store: Store) -> None:
    for minute in (3, 1, 2):
        store.add_event("web", "sync", message=f"m{minute}", detected_at=T0 + timedelta(minutes=minute))
    assert [e.message for e in store.events("web")] == ["m3", "m2", "m1"]
    assert [e.message for e in store.events("web", limit=2)] == ["m3", "m2"]
    assert store.events("other") == []


def test_counts_by_type_app_and_openness(store: Store) -> None:
    ids = [store.add_event("web", "drift") for _ in range(3)]
    store.add_event("api", "drift")
    store.add_event("web", "sync")
    store.mark_reverted(ids[:2])
    assert store.count_events("drift") == 4
    assert store.count_events("drift", app="web") == 3
    assert store.count_events("drift", open_only=True) == 2
    assert store.count_events("sync") == 1
    assert store.count_events("rollback") == 0


def test_bad_events_are_refused_and_secrets_never_stored(store: Store) -> None:
    with pytest.raises(ValueError):
        store.add_event("", "drift")
    with pytest.raises(ValueError):
        store.add_event("web", "")
    with pytest.raises(TypeError):
        store.add_event("web", "drift", fields={"path": "x"})  # type: ignore[arg-type]
    with pytest.raises(TypeError) as raised:
        store.add_event("web", "drift", fields=[{"path": "password", "actual": Secret("pw-in-clear-123")}])
    assert "pw-in-clear-123" not in str(raised.value)
    with pytest.raises(ValueError, match="naive"):
        store.add_event("web", "drift", detected_at=datetime(2026, 1, 1))
    assert store.events("web") == []
