"""Rules that read only ``plan`` and ``app`` (budgets) judge the plan once; rules that also
read ``change`` see the cost beside each change. Table of cases, each with its reason."""

from __future__ import annotations

import pytest

from .conftest import change, judge, messages, policy

COST = {"before": 100.0, "after": 600.0, "currency": "USD"}
CHANGES = [change("create", "S3Bucket", f"b{i}", after={}) for i in range(5)] + [
    change("update", "File", "motd", before={"mode": "0644"}, after={"mode": "0600"})
]

CASES = [
    # (reason, rule, cost, expected messages)
    (
        "a budget over its limit denies the plan once, however many changes",
        {"name": "cap", "deny": "plan.cost.after > 500.0", "message": "over budget"},
        COST,
        ["policy guard/cap denies this plan (6 change(s)): over budget"],
    ),
    (
        "a budget under its limit says nothing",
        {"name": "cap", "deny": "plan.cost.after > 1000.0"},
        COST,
        [],
    ),
    (
        "a growth limit reads before and after",
        {"name": "growth", "warn": "plan.cost.after - plan.cost.before > 250.0", "message": "big jump"},
        COST,
        ["policy guard/growth warns on this plan (6 change(s)): big jump"],
    ),
    (
        "a budget naming kinds judges only plans that change them",
        {"name": "cap", "kinds": ["Table"], "deny": "plan.cost.after > 500.0"},
        COST,
        [],
    ),
    (
        "app.cost is the cost after the plan, next to the app's name",
        {"name": "cap", "deny": "app.name == 'app' && app.cost > 500.0", "message": "app over budget"},
        COST,
        ["policy guard/cap denies this plan (6 change(s)): app over budget"],
    ),
    (
        "a rule on each change may also weigh the cost",
        {
            "name": "no-new-buckets-over",
            "kinds": ["S3Bucket"],
            "deny": "change.action == 'create' && plan.cost.after > 500.0",
        },
        COST,
        [
            f"policy guard/no-new-buckets-over denies create of S3Bucket/b{i}: deny: change.action == 'create' && plan.cost.after > 500.0"
            for i in range(5)
        ],
    ),
    (
        "without a cost (a caller that priced nothing) a budget fails closed",
        {"name": "cap", "deny": "plan.cost.after > 500.0"},
        None,
        ["failed to evaluate deny on this plan"],
    ),
]


@pytest.mark.parametrize("rule,cost,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_budget_rules(rule, cost, expected) -> None:
    found = messages(judge([policy(rule)], CHANGES, cost=cost))
    if expected and expected[0].startswith("failed"):
        assert len(found) == 1 and expected[0] in found[0], found
    else:
        assert found == expected


def test_a_plan_without_changes_is_not_judged_by_a_budget() -> None:
    noop = [change("noop", "S3Bucket", "b", before={}, after={})]
    assert judge([policy({"name": "cap", "deny": "plan.cost.after > 1.0"})], noop, cost=COST) == []


def test_constant_rules_still_judge_each_change() -> None:
    found = messages(judge([policy({"name": "all", "warn": "true"})], CHANGES[:2], cost=COST))
    assert len(found) == 2 and "warns on create of S3Bucket/b0" in found[0]
