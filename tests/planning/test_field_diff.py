"""Field-level diff: paths, structured objects against free-form maps, lists, ignore-fields, secrets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from kedge.model import UNKNOWN, Secret
from kedge.planning.diff import diff_spec, is_ignored, values_equal

from .conftest import GONE, THING, Case, W, ann, check, entry, ids, seen, thing, world

SCHEMA = THING.schema


@dataclass(frozen=True)
class D:
    id: str
    reason: str
    desired: Mapping[str, Any]
    observed: Mapping[str, Any]
    want: Sequence[tuple[str, Any, Any]]  # (path, before, after)
    ignore: Sequence[str] = ()
    schema: Mapping[str, Any] | None = field(default_factory=lambda: SCHEMA)


DIFFS = [
    D("equal", "equal specs have no diff", {"zone": "a", "size": 1}, {"zone": "a", "size": 1}, []),
    D(
        "scalar",
        "a changed scalar: before observed, after desired",
        {"size": 2},
        {"size": 1},
        [("size", 1, 2)],
    ),
    D("missing-observed", "a field the object lacks", {"size": 2}, {}, [("size", None, 2)]),
    D(
        "order-follows-desired",
        "paths come in the order the user wrote them",
        {"size": 2, "zone": "b"},
        {"zone": "a", "size": 1},
        [("size", 1, 2), ("zone", "a", "b")],
    ),
    D(
        "nested-path",
        "a structured object is compared field by field",
        {"nested": {"a": "x", "b": "y"}},
        {"nested": {"a": "x", "b": "z"}},
        [("nested.b", "z", "y")],
    ),
    D(
        "nested-extra-observed",
        "a structured object's extra observed key is a provider default, not drift",
        {"nested": {"a": "x"}},
        {"nested": {"a": "x", "b": "default"}},
        [],
    ),
    D(
        "nested-absent-object",
        "a structured object the target lacks differs as a whole",
        {"nested": {"a": "x"}},
        {},
        [("nested", None, {"a": "x"})],
    ),
    D(
        "map-extra-observed",
        "a key added to a free-form map behind Kedge's back is drift",
        {"tags": {"env": "prod"}},
        {"tags": {"env": "prod", "x": "1"}},
        [("tags.x", "1", None)],
    ),
    D(
        "map-extras-sorted",
        "extra keys of a free-form map come after the declared ones, sorted",
        {"tags": {"env": "prod"}},
        {"tags": {"z": "1", "env": "dev", "b": "2"}},
        [("tags.env", "dev", "prod"), ("tags.b", "2", None), ("tags.z", "1", None)],
    ),
    D(
        "map-emptied",
        "an empty map in git means every observed key is drift",
        {"tags": {}},
        {"tags": {"x": "1"}},
        [("tags.x", "1", None)],
    ),
    D(
        "top-level-extra-observed",
        "the top level of a spec is structured: undeclared fields are not drift",
        {"zone": "a"},
        {"zone": "a", "size": 5, "tags": {"x": "1"}},
        [],
    ),
    D(
        "list-whole-value",
        "lists compare as whole values",
        {"ports": [1, 2]},
        {"ports": [2, 1]},
        [("ports", [2, 1], [1, 2])],
    ),
    D("list-equal", "equal lists have no diff", {"ports": [1, {"a": 2}]}, {"ports": (1, {"a": 2})}, []),
    D(
        "ignore-exact",
        "an ignored path is skipped",
        {"size": 2, "zone": "b"},
        {"size": 1, "zone": "a"},
        [("zone", "a", "b")],
        ignore=["size"],
    ),
    D(
        "ignore-prefix",
        "an ignored object hides everything beneath it",
        {"nested": {"a": "x", "b": "y"}, "tags": {"env": "prod"}},
        {"nested": {"a": "1", "b": "2"}, "tags": {"env": "dev", "lastScan": "today"}},
        [("tags.env", "dev", "prod")],
        ignore=["nested", "tags.lastScan"],
    ),
    D(
        "ignore-is-not-a-string-prefix",
        "ignoring tags.env does not ignore tags.envoy",
        {"tags": {"env": "a", "envoy": "b"}},
        {"tags": {"env": "x", "envoy": "y"}},
        [("tags.envoy", "y", "b")],
        ignore=["tags.env"],
    ),
    D(
        "secret-equal",
        "a secret equal to the observed value is no change",
        {"content": Secret("pw")},
        {"content": "pw"},
        [],
    ),
    D(
        "secret-in-map",
        "a secret inside a free-form map compares by value",
        {"tags": {"k": Secret("v")}},
        {"tags": {"k": "v"}},
        [],
    ),
    D(
        "unknown",
        "a value known only after apply always differs",
        {"size": UNKNOWN},
        {"size": 1},
        [("size", 1, UNKNOWN)],
    ),
    D(
        "unknown-absent",
        "an unknown value differs from an absent one too",
        {"size": UNKNOWN},
        {},
        [("size", None, UNKNOWN)],
    ),
]


@pytest.mark.parametrize("d", DIFFS, ids=[d.id for d in DIFFS])
def test_field_diff(d: D) -> None:
    got = diff_spec(d.desired, d.observed, d.schema, d.ignore)
    assert [(f.path, f.before, f.after) for f in got] == list(d.want), d.reason


def test_secret_that_differs_shows_as_the_secret_itself() -> None:
    pw = Secret("new-pw")
    (f,) = diff_spec({"content": pw}, {"content": "old-pw"}, SCHEMA)
    assert f.path == "content"
    assert f.after is pw


@pytest.mark.parametrize(
    ("path", "ignore", "want"),
    [
        ("tags.lastScan", ["tags.lastScan"], True),
        ("tags.lastScan", ["tags"], True),
        ("tags", ["tags.lastScan"], False),
        ("tagsX", ["tags"], False),
        ("nested.a.deep", ["nested.a"], True),
        ("size", [], False),
    ],
    ids=["exact", "prefix", "parent-not-ignored", "not-a-string-prefix", "deep-prefix", "no-rules"],
)
def test_is_ignored(path: str, ignore: list[str], want: bool) -> None:
    assert is_ignored(path, ignore) is want


@pytest.mark.parametrize(
    ("want", "have", "equal"),
    [
        ({"a": [1, 2]}, {"a": [1, 2]}, True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ([1, 2], [1, 2, 3], False),
        ([1], "1", False),
        ({"a": 1}, "a", False),
        (Secret("x"), "x", True),
        (Secret("x"), "y", False),
    ],
    ids=[
        "nested-equal",
        "map-extra-key",
        "list-length",
        "list-vs-string",
        "map-vs-string",
        "secret-equal",
        "secret-differs",
    ],
)
def test_values_equal(want: object, have: object, equal: bool) -> None:
    assert values_equal(want, have) is equal


A_TAGS = thing(
    "a", ann(ignore_fields="tags.lastScan, nested"), zone="z1", tags={"env": "prod"}, nested={"a": "x"}
)

IGNORE_CASES = [
    Case(
        "ignore-fields-hide-drift",
        "drift only in ignored fields (exact tags.lastScan, prefix nested) is no change",
        desired=[A_TAGS],
        observed=world((A_TAGS, seen(zone="z1", tags={"env": "prod", "lastScan": "now"}, nested={"a": "y"}))),
        inventory=[entry(A_TAGS)],
        want=[W("noop", "Thing/a")],
    ),
    Case(
        "ignore-fields-keep-other-drift",
        "drift outside the ignored fields is still updated",
        desired=[A_TAGS],
        observed=world((A_TAGS, seen(zone="z1", tags={"env": "dev", "lastScan": "now"}, nested={"a": "y"}))),
        inventory=[entry(A_TAGS)],
        want=[W("update", "Thing/a", ("tags.env",), drift=True)],
    ),
    Case(
        "ignored-forcing-field-does-not-replace",
        "an ignored replace-forcing field neither replaces nor updates (not yet in the inventory: recorded)",
        desired=[thing("a", ann(ignore_fields="zone"), zone="z2")],
        observed=world((thing("a", zone="z2"), seen(zone="z1"))),
        want=[W("record", "Thing/a")],
    ),
    Case(
        "ignore-fields-do-not-affect-create",
        "ignore-fields are about drift; a missing object is still created",
        desired=[A_TAGS],
        observed=world((A_TAGS, GONE)),
        want=[W("create", "Thing/a")],
    ),
]


@pytest.mark.parametrize("case", IGNORE_CASES, ids=ids(IGNORE_CASES))
def test_ignore_fields_in_plan(case: Case) -> None:
    check(case)
