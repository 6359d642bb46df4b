"""The rules of a MachineDeployment's rollout and remediation, as tables (no AWS, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kedge.providers.aws.kinds.machines import Fleet, Machine, Settings, next_step, scaled

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def m(id: str, state: str = "running", current: bool = True, age: int = 600, status: str = "ok", **kw):
    return Machine(id, state, NOW - timedelta(seconds=age), current, status, **kw)


def settings(**spec):
    return Settings.parse({"replicas": 3, **spec})


@pytest.mark.parametrize(
    "value,total,up,want,reason",
    [
        (1, 10, True, 1, "an integer is taken as it is"),
        ("25%", 10, True, 3, "surge rounds up"),
        ("25%", 10, False, 2, "unavailability rounds down"),
        ("100%", 3, False, 3, "all of them"),
    ],
)
def test_percentages_scale_like_kubernetes(value, total, up, want, reason):
    assert scaled(value, total, up) == want, reason


def test_surge_and_unavailable_both_zero_is_refused():
    with pytest.raises(ValueError, match="maxSurge and maxUnavailable are both 0"):
        settings(strategy={"maxSurge": 0, "maxUnavailable": "0%"})


def test_a_bad_duration_names_its_field():
    with pytest.raises(ValueError, match="healthCheck.timeout"):
        settings(healthCheck={"timeout": "soon"})


CASES = [
    # (reason, machines, spec, expected step as (terminated ids, launch count, waiting))
    ("in shape: nothing to do", [m("a"), m("b"), m("c")], {}, ((), 0, ())),
    ("a terminated instance is replaced", [m("a"), m("b"), m("c", "terminated")], {}, ((), 1, ())),
    ("scale up to replicas", [m("a")], {}, ((), 2, ())),
    ("scale down removes the newest", [m("a", age=900), m("b", age=800), m("c", age=700), m("d", age=10)], {}, (("d",), 0, ())),
    (
        "rollout surges one new instance first (maxSurge 1, maxUnavailable 0)",
        [m("a", current=False), m("b", current=False), m("c", current=False)],
        {},
        ((), 1, ()),
    ),
    (
        "then removes the oldest outdated one",
        [m("a", current=False, age=900), m("b", current=False), m("c", current=False), m("n", age=5)],
        {},
        (("a",), 0, ()),
    ),
    (
        "waits while the new instance is not running",
        [m("a", current=False), m("b", current=False), m("c", current=False), m("n", "pending", age=5)],
        {},
        ((), 0, ("n",)),
    ),
    (
        "maxSurge 0: removes first",
        [m("a", current=False, age=900), m("b", current=False), m("c", current=False)],
        {"strategy": {"maxSurge": 0, "maxUnavailable": 1}},
        (("a",), 0, ()),
    ),
    (
        "a stopped instance is remediated at once",
        [m("a"), m("b", "stopped"), m("c")],
        {},
        ((("b"),), 0, ()),
    ),
    (
        "an impaired instance within the timeout is left alone",
        [m("a"), m("b", status="impaired", impaired_since=NOW - timedelta(seconds=60)), m("c")],
        {"healthCheck": {"timeout": "5m"}},
        ((), 0, ()),
    ),
    (
        "an impaired instance past the timeout is remediated",
        [m("a"), m("b", status="impaired", impaired_since=NOW - timedelta(seconds=301)), m("c")],
        {"healthCheck": {"timeout": "5m"}},
        (("b",), 0, ()),
    ),
    (
        "a status outside unhealthyStates is ignored",
        [m("a"), m("b", status="insufficient-data", age=9999), m("c")],
        {"healthCheck": {"unhealthyStates": ["impaired"]}},
        ((), 0, ()),
    ),
    (
        "more unhealthy than maxUnhealthy: remediation pauses",
        [m("a", "stopped"), m("b", "stopped"), m("c")],
        {"healthCheck": {"maxUnhealthy": 1}},
        ((), 0, ()),
    ),
    (
        "remediation is one at a time",
        [m("a", "stopped", age=900), m("b", "stopped"), m("c")],
        {"healthCheck": {"maxUnhealthy": "100%"}},
        (("a",), 0, ()),
    ),
]


@pytest.mark.parametrize("reason,machines,spec,want", CASES, ids=[c[0] for c in CASES])
def test_next_step(reason, machines, spec, want):
    step = next_step(Fleet.of(machines, settings(**spec), NOW))
    assert (tuple(i for i, _ in step.terminate), step.launch, step.waiting) == want, reason


def test_a_paused_remediation_names_every_unhealthy_instance():
    fleet = Fleet.of([m("i-a", "stopped"), m("i-b", "stopped"), m("i-c")], settings(healthCheck={"maxUnhealthy": 1}), NOW)
    assert fleet.paused
    message = fleet.paused_message()
    assert "i-a" in message and "i-b" in message and "i-c" not in message
    assert "maxUnhealthy (1)" in message
    # paused: the unhealthy instances still count, so the deployment does not read as drifted
    assert len(fleet.serving) == 3


def test_remediation_reason_says_why():
    step = next_step(Fleet.of([m("i-a"), m("i-b", "stopped"), m("i-c")], settings(), NOW))
    assert step.terminate[0][1] == "remediation: i-b is stopped"
