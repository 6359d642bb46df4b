"""Apply history: runs listed newest first, each with the result of every change it made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kedge.store import RUNNING, RunResult, Store

from .conftest import StepClock, file_key


def test_runs_are_listed_newest_first_with_a_limit(store: Store) -> None:
    ids = [store.start_run("web", revision=f"r{n}", trigger="webhook", actor="git") for n in range(4)]
    store.start_run("api", revision="x", trigger="manual", actor="ann")

    assert [r.id for r in store.runs("web")] == ids[::-1]
    assert [r.revision for r in store.runs("web", limit=2)] == ["r3", "r2"]
    assert [r.app for r in store.runs("api")] == ["api"]
    assert store.runs("nobody") == []


def test_newest_means_latest_start_even_when_recorded_out_of_order(store: Store) -> None:
    base = datetime(2026, 3, 1, tzinfo=UTC)
    late = store.start_run(
        "web", revision="b", trigger="manual", actor="a", started_at=base + timedelta(hours=1)
    )
    early = store.start_run("web", revision="a", trigger="manual", actor="a", started_at=base)
    assert [r.id for r in store.runs("web")] == [late, early]


def test_a_run_keeps_its_results_summary_and_times(store: Store, clock: StepClock) -> None:
    run_id = store.start_run("web", revision="abc123", trigger="auto-sync", actor="controller")
    started = clock.now
    assert store.run(run_id).result == RUNNING  # type: ignore[union-attr]

    diff = [{"path": "content", "before": "old", "after": "new"}]
    store.record_result(run_id, file_key("a"), "update", "succeeded", diff=diff)
    store.record_result(run_id, file_key("b"), "create", "failed", error="permission denied")
    store.record_results(run_id, [RunResult(file_key("c"), "delete", "skipped")])
    store.finish_run(run_id, "partial", summary={"update": 1, "create": 1, "delete": 1}, message="1 failed")

    run = store.run(run_id)
    assert run is not None
    assert (run.app, run.revision, run.trigger, run.actor, run.result) == (
        "web",
        "abc123",
        "auto-sync",
        "controller",
        "partial",
    )
    assert run.started_at == started and run.started_at.tzinfo is UTC
    assert run.finished_at == clock.now and run.finished_at > run.started_at
    assert run.summary == {"update": 1, "create": 1, "delete": 1}
    assert run.message == "1 failed"
    assert [(r.key, r.action, r.result, r.diff, r.error) for r in run.results] == [
        (file_key("a"), "update", "succeeded", diff, None),
        (file_key("b"), "create", "failed", None, "permission denied"),
        (file_key("c"), "delete", "skipped", None, None),
    ]
    assert store.runs("web")[0].results == []
    assert len(store.runs("web", with_results=True)[0].results) == 3
    assert store.run(run_id + 1000) is None


def test_results_and_outcomes_are_checked(store: Store) -> None:
    run_id = store.start_run("web", revision=None, trigger="manual", actor="ann")
    with pytest.raises(ValueError, match="change result"):
        store.record_result(run_id, file_key("a"), "create", "done")
    with pytest.raises(ValueError, match="run result"):
        store.finish_run(run_id, "ok")
    with pytest.raises(LookupError):
        store.record_result(run_id + 1000, file_key("a"), "create", "succeeded")
    with pytest.raises(LookupError):
        store.finish_run(run_id + 1000, "succeeded")
    with pytest.raises(ValueError, match="naive"):
        store.start_run("web", revision=None, trigger="manual", actor="ann", started_at=datetime(2026, 1, 1))
    assert store.run(run_id).results == []  # type: ignore[union-attr]


def test_times_come_back_in_utc_whatever_zone_they_were_given_in(store: Store) -> None:
    paris = datetime(2026, 6, 1, 16, 0, tzinfo=timezone(timedelta(hours=2)))
    run_id = store.start_run("web", revision=None, trigger="manual", actor="ann", started_at=paris)
    run = store.run(run_id)
    assert run is not None
    assert run.started_at == datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    assert run.started_at.tzinfo is UTC
