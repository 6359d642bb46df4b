"""Operations live in the store: whichever replica runs one, any replica can read it; the
lease holder runs them oldest first, picks up one a dead replica left running, and finished
ones are pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kedge.store import Store

from .conftest import StepClock


def test_an_operation_is_readable_through_another_handle(db_url: str, clock: StepClock) -> None:
    with Store.open(db_url, clock=clock) as api, Store.open(db_url, clock=clock) as worker:
        api.add_operation("op1", "web", "sync", "alice", prune=True)
        claimed = worker.claim_operation("web", "replica-b")
        assert claimed is not None and claimed.id == "op1" and claimed.state == "running"
        assert claimed.prune is True
        worker.finish_operation("op1", "succeeded", "applied abc", revision="abc")
        seen = api.operation_record("op1")
        assert seen is not None
        assert (seen.state, seen.message, seen.revision, seen.replica) == (
            "succeeded",
            "applied abc",
            "abc",
            "replica-b",
        )
        assert seen.finished_at is not None


def test_operations_run_oldest_first_and_orphans_run_again(store: Store) -> None:
    store.add_operation("op1", "web", "sync", "alice")
    store.add_operation("op2", "web", "rollback", "bob", revision="abc")
    store.add_operation("op3", "api", "sync", "carol")
    first = store.claim_operation("web", "replica-a")
    assert first is not None and first.id == "op1"
    # replica-a dies with op1 running; the new holder of the app runs it again, then op2
    again = store.claim_operation("web", "replica-b")
    assert again is not None and (again.id, again.replica) == ("op1", "replica-b")
    store.finish_operation("op1", "failed", "boom")
    nxt = store.claim_operation("web", "replica-b")
    assert nxt is not None and nxt.id == "op2"
    store.finish_operation("op2", "succeeded", "")
    assert store.claim_operation("web", "replica-b") is None
    assert store.has_unfinished_operations("api")
    assert not store.has_unfinished_operations("web")
    assert store.apps_with_unfinished_operations() == {"api"}, "what an owner looks for when a wake-up was lost"


def test_finished_operations_are_pruned(store: Store, clock: StepClock) -> None:
    store.add_operation("old", "web", "sync", "alice")
    store.claim_operation("web", "r")
    store.finish_operation("old", "succeeded", "")
    store.add_operation("open", "web", "sync", "alice")
    clock.now += timedelta(hours=2)
    store.add_operation("recent", "api", "sync", "alice")
    store.claim_operation("api", "r")
    store.finish_operation("recent", "succeeded", "")
    assert store.prune_operations(timedelta(hours=1)) == 1
    assert store.operation_record("old") is None
    assert store.operation_record("open") is not None, "an unfinished operation is never pruned"
    assert store.operation_record("recent") is not None


def test_an_operation_cannot_finish_as_queued(store: Store) -> None:
    store.add_operation("op1", "web", "sync", "alice")
    with pytest.raises(ValueError, match="finishes as one of"):
        store.finish_operation("op1", "queued", "")
