"""A drift sweep skips re-planning an app whose complete watches saw nothing since its last
clean plan, and still plans apps whose watches saw something, whose providers cannot promise a
complete watch, or whose skipped sweeps reached ``FULL_SWEEP_EVERY``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kedge.controller.controller import Controller
from kedge.controller.reconciler import FULL_SWEEP_EVERY
from tests.controller.conftest import app_spec, file_doc, wait_for


class _Watches:
    """What the reconciler asks the watches: a generation and whether they stayed quiet."""

    def __init__(self) -> None:
        self.generation = 0
        self.complete = True
        self.asked: list[set[str]] = []

    def quiet(self, app: str, configs: set[str], since: int) -> bool:
        self.asked.append(configs)
        return self.complete and since == self.generation


@pytest.fixture
def counted(make_controller: Callable[..., Controller], repo: Any) -> tuple[Controller, list[str], _Watches]:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller(start=False)
    plans: list[str] = []
    real_plan = controller.engine.plan

    def plan(app: str, *args: Any, **kwargs: Any) -> Any:
        plans.append(app)
        return real_plan(app, *args, **kwargs)

    controller.engine.plan = plan  # type: ignore[method-assign]
    watches = _Watches()
    controller.reconciler.watch_generation = lambda app: watches.generation
    controller.reconciler.watches_quiet = watches.quiet
    controller.create_app("web", app_spec(repo.path), actor="tester")
    controller.reconciler.reconcile("web", {"manual"})
    assert controller.get_app("web")["status"]["sync"] == "Synced"
    return controller, plans, watches


def test_a_quiet_fully_watched_app_is_not_planned_by_a_sweep(counted, root) -> None:
    controller, plans, watches = counted
    assert plans == ["web"]
    assert controller.reconciler.reconcile("web", {"drift"}) == 30.0
    assert plans == ["web"]  # skipped: nothing observed, nothing planned
    assert watches.asked == [{"default"}]  # the app's ProviderConfigs were the ones asked about
    assert controller.get_app("web")["status"]["sync"] == "Synced"


def test_an_event_since_the_last_plan_makes_the_sweep_plan_and_revert(counted, root) -> None:
    controller, plans, watches = counted
    (root / "motd").write_text("changed by hand\n")
    watches.generation += 1  # the watch saw the write
    controller.reconciler.reconcile("web", {"drift"})
    assert plans == ["web", "web"]
    assert (root / "motd").read_text() == "hello\n"  # self-heal reverted it


def test_a_provider_without_a_complete_watch_is_planned_on_every_sweep(counted, root) -> None:
    controller, plans, watches = counted
    watches.complete = False
    (root / "motd").write_text("changed, and no watch can tell\n")
    controller.reconciler.reconcile("web", {"drift"})
    assert plans == ["web", "web"]
    assert (root / "motd").read_text() == "hello\n"


def test_every_tenth_sweep_plans_even_when_quiet(counted, root) -> None:
    controller, plans, _ = counted
    for _ in range(FULL_SWEEP_EVERY - 1):
        controller.reconciler.reconcile("web", {"drift"})
    assert plans == ["web"]
    (root / "motd").write_text("changed where no watch looks\n")  # e.g. through a hard link
    controller.reconciler.reconcile("web", {"drift"})
    assert plans == ["web", "web"]
    assert (root / "motd").read_text() == "hello\n"


def test_a_sweep_after_an_out_of_sync_plan_is_not_skipped(counted, repo) -> None:
    controller, plans, watches = counted
    repo.commit({"app.yaml": file_doc("motd", "motd", "new\n")})
    controller.create_app("web", app_spec(repo.path, automated=False), actor="tester")
    controller.reconciler.reconcile("web", {"manual"})
    assert controller.get_app("web")["status"]["sync"] == "OutOfSync"
    controller.reconciler.reconcile("web", {"drift"})
    assert plans == ["web", "web", "web"]


def test_real_watches_move_on_an_event_and_are_quiet_otherwise(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller(start=False)
    controller.create_app("web", app_spec(repo.path), actor="tester")
    controller.reconciler.reconcile("web", {"manual"})
    watches = controller.watches
    assert watches.generation("web") >= 1  # starting a watch moves the generation
    # The watcher's start-up rescan may still arrive: take the generation once it has.
    wait_for(lambda: watches.quiet("web", {"default"}, watches.generation("web")), message="quiet")
    since = watches.generation("web")
    assert not watches.quiet("web", {"default", "elsewhere"}, since)  # an unwatched config
    (root / "motd").write_text("changed by hand\n")
    wait_for(lambda: watches.generation("web") > since, message="the event moved the generation")
    assert not watches.quiet("web", {"default"}, since)


def test_a_skipped_sweep_does_not_ask_git_and_a_commit_is_still_planned(counted, repo) -> None:
    controller, plans, _ = counted
    asked: list[str] = []
    real_head = controller.sources.head

    def head(spec: Any, **kwargs: Any) -> str:
        asked.append(spec.repo_url)
        return real_head(spec, **kwargs)

    controller.sources.head = head  # type: ignore[method-assign]
    controller.reconciler.reconcile("web", {"drift"})
    assert asked == [] and plans == ["web"]  # the poller tells of a moved branch, not the sweep
    repo.commit({"app.yaml": file_doc("motd", "motd", "new\n")})
    controller.reconciler.reconcile("web", {"commit"})  # what the poller enqueues
    assert plans == ["web", "web"]
