"""Create, noop, update and replace: what the planner decides for one resource this app owns."""

from __future__ import annotations

import pytest

from kedge.model import UNKNOWN

from .conftest import GONE, Case, W, ann, check, entry, file, ids, plan_of, seen, thing, world

A = thing("a", zone="z1", size=2)
A_BIGGER = thing("a", zone="z1", size=3)
A_MOVED = thing("a", zone="z2", size=2)
A_MOVED_BIGGER = thing("a", zone="z2", size=3)
A_NESTED = thing("a", zone="z1", nested={"a": "x"})
A_TAGS = thing("a", zone="z1", tags={"env": "prod"})
A_PROTECTED = thing("a", ann(prevent_destroy="true"), zone="z2", size=2)
A_PROTECTED_BIGGER = thing("a", ann(prevent_destroy="true"), zone="z1", size=3)
A_UNKNOWN_SIZE = thing("a", zone="z1", size=UNKNOWN)
A_UNKNOWN_ZONE = thing("a", zone=UNKNOWN, size=2)
NOTES = file("notes", "docs/notes.txt", content="hello", mode="0644")

CASES = [
    Case(
        "create-when-missing",
        "an object that does not exist is created",
        desired=[A],
        observed=world((A, GONE)),
        want=[W("create", "Thing/a")],
    ),
    Case(
        "create-again-when-deleted-outside",
        "an owned object deleted behind Kedge's back is created again, and that is drift (missing)",
        desired=[A],
        observed=world((A, GONE)),
        inventory=[entry(A)],
        want=[W("create", "Thing/a", drift=True)],
    ),
    Case(
        "create-file-by-path",
        "a File is found by its path and created when the path is free",
        desired=[NOTES],
        observed=world((NOTES, GONE)),
        want=[W("create", "File/notes")],
    ),
    Case(
        "noop-when-equal",
        "an owned object equal to the desired spec needs nothing",
        desired=[A],
        observed=world((A, seen(zone="z1", size=2))),
        inventory=[entry(A)],
        want=[W("noop", "Thing/a")],
    ),
    Case(
        "noop-file-when-equal",
        "a File whose content and mode match needs nothing",
        desired=[NOTES],
        observed=world((NOTES, seen(path="docs/notes.txt", content="hello", mode="0644"))),
        inventory=[entry(NOTES)],
        want=[W("noop", "File/notes")],
    ),
    Case(
        "update-changed-in-git",
        "a field changed in git is updated in place; that is not drift",
        desired=[A_BIGGER],
        observed=world((A_BIGGER, seen(zone="z1", size=2))),
        inventory=[entry(A_BIGGER, spec={"zone": "z1", "size": 2})],
        want=[W("update", "Thing/a", ("size",))],
    ),
    Case(
        "update-drifted",
        "git did not change but the object did: an update flagged as drift",
        desired=[A],
        observed=world((A, seen(zone="z1", size=5))),
        inventory=[entry(A)],
        want=[W("update", "Thing/a", ("size",), drift=True)],
    ),
    Case(
        "update-file-content",
        "a File edited by hand is written back",
        desired=[NOTES],
        observed=world((NOTES, seen(path="docs/notes.txt", content="hacked", mode="0644"))),
        inventory=[entry(NOTES)],
        want=[W("update", "File/notes", ("content",), drift=True)],
    ),
    Case(
        "update-nested-field-path",
        "a change inside a structured object is reported at its dotted path",
        desired=[A_NESTED],
        observed=world((A_NESTED, seen(zone="z1", nested={"a": "y", "b": "q"}))),
        inventory=[entry(A_NESTED)],
        want=[W("update", "Thing/a", ("nested.a",), drift=True)],
    ),
    Case(
        "noop-structured-extra-key",
        "a key the provider adds to a structured object (nested.b) is not drift",
        desired=[A_NESTED],
        observed=world((A_NESTED, seen(zone="z1", nested={"a": "x", "b": "server-default"}))),
        inventory=[entry(A_NESTED)],
        want=[W("noop", "Thing/a")],
    ),
    Case(
        "noop-top-level-extra-key",
        "a top-level field the user did not declare is not drift",
        desired=[A_NESTED],
        observed=world((A_NESTED, seen(zone="z1", size=9, nested={"a": "x"}))),
        inventory=[entry(A_NESTED)],
        want=[W("noop", "Thing/a")],
    ),
    Case(
        "update-free-form-map-extra-key",
        "a tag added out of band to a free-form map is drift, reported at tags.<key>",
        desired=[A_TAGS],
        observed=world((A_TAGS, seen(zone="z1", tags={"env": "prod", "x": "1"}))),
        inventory=[entry(A_TAGS)],
        want=[W("update", "Thing/a", ("tags.x",), drift=True)],
    ),
    Case(
        "update-free-form-map-changed-value",
        "a tag whose value changed is reported at tags.<key>",
        desired=[A_TAGS],
        observed=world((A_TAGS, seen(zone="z1", tags={"env": "dev"}))),
        inventory=[entry(A_TAGS)],
        want=[W("update", "Thing/a", ("tags.env",), drift=True)],
    ),
    Case(
        "replace-on-forcing-field",
        "zone cannot change in place: the object is replaced",
        desired=[A_MOVED],
        observed=world((A_MOVED, seen(zone="z1", size=2))),
        inventory=[entry(A_MOVED, spec={"zone": "z1", "size": 2})],
        want=[W("replace", "Thing/a", ("zone",))],
    ),
    Case(
        "replace-carries-whole-diff",
        "a replace lists every changed field, the forcing one and the others",
        desired=[A_MOVED_BIGGER],
        observed=world((A_MOVED_BIGGER, seen(zone="z1", size=2))),
        inventory=[entry(A_MOVED_BIGGER, spec={"zone": "z1", "size": 2})],
        want=[W("replace", "Thing/a", ("zone", "size"))],
    ),
    Case(
        "prevent-destroy-blocks-replace",
        "a replace deletes the object, which prevent-destroy forbids: error, no change",
        desired=[A_PROTECTED],
        observed=world((A_PROTECTED, seen(zone="z1", size=2))),
        inventory=[entry(A_PROTECTED, spec={"zone": "z1", "size": 2})],
        errors=["prevent-destroy"],
    ),
    Case(
        "prevent-destroy-allows-update",
        "prevent-destroy does not stand in the way of an in-place update",
        desired=[A_PROTECTED_BIGGER],
        observed=world((A_PROTECTED_BIGGER, seen(zone="z1", size=2))),
        inventory=[entry(A_PROTECTED_BIGGER, spec={"zone": "z1", "size": 2})],
        want=[W("update", "Thing/a", ("size",))],
    ),
    Case(
        "unknown-value-always-differs",
        "a value known only after apply is a change, whatever the object holds now",
        desired=[A_UNKNOWN_SIZE],
        observed=world((A_UNKNOWN_SIZE, seen(zone="z1", size=2))),
        inventory=[entry(A_UNKNOWN_SIZE)],
        want=[W("update", "Thing/a", ("size",), drift=True)],
    ),
    Case(
        "unknown-forcing-value-replaces",
        "an unknown value in a replace-forcing field may change it: replace",
        desired=[A_UNKNOWN_ZONE],
        observed=world((A_UNKNOWN_ZONE, seen(zone="z1", size=2))),
        inventory=[entry(A_UNKNOWN_ZONE)],
        want=[W("replace", "Thing/a", ("zone",), drift=True)],
    ),
    Case(
        "not-observed-is-an-error",
        "a desired object the engine could not observe is never planned blind",
        desired=[A],
        observed={},
        inventory=[entry(A)],
        errors=["was not observed"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_change_follows_the_diff(case: Case) -> None:
    check(case)


def test_change_carries_before_after_and_resource() -> None:
    observed = seen(zone="z1", size=2)
    p = plan_of(desired=[A_BIGGER], observed=world((A_BIGGER, observed)), inventory=[entry(A)])
    (c,) = p.changes
    assert c.before == observed.state
    assert c.after == A_BIGGER.spec
    assert c.resource is A_BIGGER
    assert [(d.before, d.after) for d in c.diff] == [(2, 3)]


def test_create_of_object_deleted_outside_says_so() -> None:
    p = plan_of(desired=[A], observed=world((A, GONE)), inventory=[entry(A)])
    assert "deleted outside Kedge" in p.changes[0].reason
    p = plan_of(desired=[A], observed=world((A, GONE)))
    assert "deleted outside Kedge" not in p.changes[0].reason


def test_resource_error_points_at_its_manifest() -> None:
    p = plan_of(desired=[A_PROTECTED], observed=world((A_PROTECTED, seen(zone="z1", size=2))))
    (d,) = p.diagnostics
    assert (d.file, d.line) == (A_PROTECTED.file, A_PROTECTED.line)
