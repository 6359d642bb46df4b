"""The work queue: one entry per app, one worker per app, no trigger lost."""

from __future__ import annotations

import threading

from kedge.controller.queue import WorkQueue


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_adding_an_app_twice_queues_it_once_with_the_earlier_deadline() -> None:
    clock = Clock()
    q = WorkQueue(clock)
    q.add("web", delay=30, reason="drift")
    q.add("web", delay=0, reason="webhook")
    assert len(q) == 1
    name, reasons = q.get(timeout=0)
    assert name == "web" and reasons == {"drift", "webhook"}


def test_an_app_is_not_due_before_its_delay() -> None:
    clock = Clock()
    q = WorkQueue(clock)
    q.add("web", delay=10)
    assert q.get(timeout=0) is None
    clock.now += 10
    assert q.get(timeout=0) == ("web", set())


def test_an_app_in_progress_is_not_handed_out_again_but_comes_back_after_done() -> None:
    q = WorkQueue(Clock())
    q.add("web", reason="manual")
    assert q.get(timeout=0) == ("web", {"manual"})
    q.add("web", reason="webhook")  # arrives while the first reconcile runs
    assert q.get(timeout=0) is None, "one app never reconciles twice at a time"
    q.done("web")
    assert q.get(timeout=0) == ("web", {"webhook"}), "the trigger that came meanwhile is not lost"


def test_apps_come_out_in_deadline_order() -> None:
    clock = Clock()
    q = WorkQueue(clock)
    q.add("late", delay=5)
    q.add("early", delay=1)
    clock.now += 10
    assert q.get(timeout=0)[0] == "early"
    assert q.get(timeout=0)[0] == "late"


def test_close_wakes_a_waiting_worker() -> None:
    q = WorkQueue()
    got: list[object] = []
    worker = threading.Thread(target=lambda: got.append(q.get()))
    worker.start()
    q.close()
    worker.join(timeout=2)
    assert not worker.is_alive() and got == [None]


def test_forget_drops_a_deleted_apps_pending_work() -> None:
    q = WorkQueue(Clock())
    q.add("gone")
    q.forget("gone")
    assert q.get(timeout=0) is None
