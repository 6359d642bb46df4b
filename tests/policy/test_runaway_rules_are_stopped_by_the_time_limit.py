"""A rule that runs too long is stopped and fails closed; so is a plan whose rules use up the budget."""

from __future__ import annotations

import time

from kedge.planning.policy import PolicyLimits

from .conftest import change, judge, messages, policy


def exponential(depth: int, width: int = 20) -> str:
    """width**depth evaluations of the innermost expression, in a few hundred characters."""
    items = "[" + ", ".join(str(i) for i in range(width)) + "]"
    text = "1"
    for i in range(depth):
        text = f"{items}.map(v{i}, {text})"
    return f"{text}.size() > 0"


def test_a_runaway_rule_is_stopped_at_the_limit_and_blocks_the_change() -> None:
    started = time.perf_counter()
    found = judge(
        [policy({"name": "slow", "deny": exponential(6)})],
        [change("create", "File", "f", after={})],
        limits=PolicyLimits(per_evaluation=0.05, per_plan=2.0),
    )
    elapsed = time.perf_counter() - started
    [d] = found
    assert d.is_error
    assert d.message.startswith(
        "policy guard/slow failed to evaluate deny on create of File/f: ran longer than 50 ms"
    )
    assert elapsed < 1.0, f"the rule was not stopped in time ({elapsed:.2f} s)"


def test_the_limit_is_configurable() -> None:
    found = judge(
        [policy({"name": "slow", "deny": exponential(6)})],
        [change("create", "File", "f", after={})],
        limits=PolicyLimits(per_evaluation=0.01),
    )
    assert "ran longer than 10 ms" in found[0].message


def test_a_rule_within_the_limit_answers() -> None:
    found = judge(
        [policy({"name": "ok", "deny": exponential(2, 3)})], [change("create", "File", "f", after={})]
    )
    assert [d.message for d in found] == [
        "policy guard/ok denies create of File/f: deny: " + exponential(2, 3)
    ]


class StepClock:
    """A CPU clock that advances a fixed step at every reading: tests never depend on speed."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_the_plan_budget_stops_evaluation_and_blocks_what_was_not_checked() -> None:
    # Every change is distinct for this rule, so each one costs an evaluation (a few clock readings).
    changes = [change("create", "File", f"f{i}", after={"n": i}) for i in range(100)]
    found = judge(
        [policy({"name": "by-name", "warn": "change.name == 'nobody'"})],
        changes,
        limits=PolicyLimits(per_evaluation=100.0, per_plan=10.0),
        clock=StepClock(0.5),
    )
    [stop] = [m for m in messages(found, "error")]
    assert stop.startswith("policy evaluation stopped: the rules used more than 10 s of CPU on this plan (")
    checked = int(stop.split("(")[1].split(" of ")[0])
    assert 0 < checked < 100
    assert "of 100 changes checked" in stop and "blocked" in stop


def test_similar_changes_share_one_evaluation() -> None:
    clock = StepClock(0.001)
    changes = [change("create", "S3Bucket", f"b{i}", after={"encryption": {"on": True}}) for i in range(500)]
    rule = {"name": "enc", "kinds": ["S3Bucket"], "deny": "!has(change.after.encryption)"}
    assert judge([policy(rule)], changes, clock=clock) == []
    assert clock.now < 0.05, "one evaluation should have served all 500 identical changes"
