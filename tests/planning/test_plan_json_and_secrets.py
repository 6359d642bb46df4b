"""Plan.summary(), the machine-readable shape of DESIGN section 4, and secrets kept out of it."""

from __future__ import annotations

import json

import pytest

from kedge.model import UNKNOWN, Observation, Secret
from kedge.planning.plan import Plan

from .conftest import (
    APP,
    GONE,
    OTHER_APP,
    Case,
    W,
    ann,
    check,
    entry,
    file,
    ids,
    plan_of,
    run,
    seen,
    thing,
    world,
)

NEW = thing("new", zone="z1")
BIGGER = thing("bigger", zone="z1", size=3)
MOVED = thing("moved", zone="z2")
SAME = thing("same", zone="z1")
LEFT = thing("left", zone="z1")
LOST = thing("lost", zone="z1")
PROTECTED = thing("protected", ann(prevent_destroy="true"), zone="z2")

MIXED = Case(
    "mixed",
    "one resource per action, a forgotten one, and a blocked replace",
    desired=[NEW, BIGGER, MOVED, SAME, PROTECTED],
    observed=world(
        (NEW, GONE),
        (BIGGER, seen(zone="z1", size=2)),
        (MOVED, seen(zone="z1")),
        (SAME, seen(zone="z1")),
        (PROTECTED, seen(zone="z1")),
        (LEFT, seen(zone="z1")),
        (LOST, GONE),
    ),
    inventory=[entry(r) for r in (BIGGER, MOVED, SAME, PROTECTED, LEFT, LOST)],
    flags={"prune": True},
)


def test_summary_counts_each_action() -> None:
    p = run(MIXED)
    assert p.summary() == {"create": 1, "update": 1, "replace": 1, "delete": 2, "noop": 1}
    assert list(p.summary()) == ["create", "update", "replace", "delete", "noop"]
    assert p.has_changes
    assert not p.ok  # the blocked replace


def test_summary_of_an_empty_plan() -> None:
    p = Plan()
    assert p.summary() == {"create": 0, "update": 0, "replace": 0, "delete": 0, "noop": 0}
    assert p.ok
    assert not p.has_changes


def test_plan_in_sync_has_no_changes() -> None:
    p = plan_of(desired=[SAME], observed=world((SAME, seen(zone="z1"))), inventory=[entry(SAME)])
    assert not p.has_changes
    assert p.summary()["noop"] == 1


def test_to_json_shape() -> None:
    doc = json.loads(json.dumps(run(MIXED).to_json()))
    assert set(doc) == {"changes", "summary", "diagnostics"}
    assert doc["summary"] == {"create": 1, "update": 1, "replace": 1, "delete": 2, "noop": 1}
    for c in doc["changes"]:
        assert set(c) == {"action", "apiVersion", "kind", "name", "diff", "reason"}
        assert all(set(d) == {"path", "before", "after"} for d in c["diff"])
    by_name = {c["name"]: c for c in doc["changes"]}
    assert by_name["bigger"] == {
        "action": "update",
        "apiVersion": "fake.kedge.dev/v1",
        "kind": "Thing",
        "name": "bigger",
        "diff": [{"path": "size", "before": 2, "after": 3}],
        "reason": "drift from desired state",
    }
    assert by_name["moved"]["action"] == "replace"
    assert by_name["moved"]["diff"] == [{"path": "zone", "before": "z1", "after": "z2"}]
    assert [by_name[n]["action"] for n in ("new", "same", "left", "lost")] == [
        "create",
        "noop",
        "delete",
        "delete",
    ]
    assert "protected" not in by_name
    (diag,) = doc["diagnostics"]
    assert diag == {
        "severity": "error",
        "file": PROTECTED.file,
        "line": PROTECTED.line,
        "message": diag["message"],
    }
    assert "prevent-destroy" in diag["message"]


def test_to_json_warning_without_place() -> None:
    p = plan_of(
        desired=[SAME],
        observed=world((SAME, seen(zone="z1")), (LEFT, seen(zone="z1"))),
        inventory=[entry(SAME), entry(LEFT)],
    )
    doc = p.to_json()
    (diag,) = doc["diagnostics"]
    assert (diag["severity"], diag["file"], diag["line"]) == ("warning", None, None)
    assert "Thing/left" in diag["message"]


def test_unknown_value_renders_as_known_after_apply() -> None:
    r = thing("u", zone="z1", size=UNKNOWN)
    p = plan_of(desired=[r], observed=world((r, seen(zone="z1", size=2))))
    doc = json.loads(json.dumps(p.to_json()))
    assert doc["changes"][0]["diff"] == [{"path": "size", "before": 2, "after": "(known after apply)"}]


CLEAR = "hunter2-clear-value"


KEY = file("key", "keys/app.key", content=Secret(CLEAR, "fromEnv APP_KEY"), mode="0600")
KEY_ADOPT = file("key", "keys/app.key", ann(adopt="true"), content=Secret(CLEAR), mode="0600")
TOKEN = thing("s", zone=Secret(CLEAR), tags={"token": Secret(CLEAR)})


def key_on_disk(content: str, mode: str = "0600", owner: str | None = APP) -> Observation:
    return seen(owner=owner, path="keys/app.key", content=content, mode=mode)


SECRET_CASES = [
    Case(
        "create",
        "a secret to write to a new object",
        desired=[KEY],
        observed=world((KEY, GONE)),
        want=[W("create", "File/key")],
    ),
    Case(
        "equal-by-value",
        "a secret equal to what the object holds is no change",
        desired=[KEY],
        observed=world((KEY, key_on_disk(CLEAR))),
        inventory=[entry(KEY)],
        want=[W("noop", "File/key")],
    ),
    Case(
        "update-other-field",
        "an update of another field, the secret unchanged",
        desired=[KEY],
        observed=world((KEY, key_on_disk(CLEAR, mode="0644"))),
        inventory=[entry(KEY)],
        want=[W("update", "File/key", ("mode",), drift=True)],
    ),
    Case(
        "secret-differs",
        "a secret that differs from the object is an update of that field",
        desired=[KEY],
        observed=world((KEY, key_on_disk("old"))),
        inventory=[entry(KEY)],
        want=[W("update", "File/key", ("content",), drift=True)],
    ),
    Case(
        "replace-and-map",
        "secrets in a forcing field and in a free-form map",
        desired=[TOKEN],
        observed=world((TOKEN, seen(zone="z1", tags={}))),
        want=[W("replace", "Thing/s", ("zone", "tags.token"), drift=True)],
    ),
    Case(
        "conflict",
        "an error about a resource that holds a secret",
        desired=[KEY],
        observed=world((KEY, key_on_disk("old", owner=OTHER_APP))),
        errors=["billing"],
    ),
    Case(
        "adopt",
        "adoption of an object that will receive a secret",
        desired=[KEY_ADOPT],
        observed=world((KEY_ADOPT, key_on_disk("old", owner=None))),
        want=[W("update", "File/key", ("content",), adopt=True, drift=True)],
    ),
]


@pytest.mark.parametrize("case", SECRET_CASES, ids=ids(SECRET_CASES))
def test_secret_compares_by_value_and_never_shows(case: Case) -> None:
    p = check(case)
    assert CLEAR not in json.dumps(p.to_json())
    assert all(CLEAR not in str(d) for d in p.diagnostics)
    for c in p.changes:
        assert all(d["after"] == "(sensitive)" for d in c.to_json()["diff"] if d["path"] != "mode")


def test_observed_value_of_a_secret_field_is_redacted() -> None:
    # The object still holds the previous secret (a rotated key); the diff's `before` must not
    # print it any more than `after` prints the new one.
    previous = "previous-secret-value"
    r = file("key", "keys/app.key", content=Secret("rotated-secret-value"), mode="0600")
    p = plan_of(
        desired=[r],
        inventory=[entry(r)],
        observed=world((r, seen(path="keys/app.key", content=previous, mode="0600"))),
    )
    assert p.changes[0].action.value == "update"
    assert previous not in json.dumps(p.to_json())


def test_plan_repr_does_not_print_the_observed_secret() -> None:
    # The object holds the same value as the desired Secret (a noop); a log line that formats
    # the plan must not reveal it through the change's `before`.
    p = run(SECRET_CASES[1])
    assert [c.action.value for c in p.changes] == ["noop"]
    assert CLEAR not in repr(p)
