"""management-policy (ObserveOnly, CreateOnly), deletion-policy Orphan and prevent-destroy on prune."""

from __future__ import annotations

from dataclasses import replace

import pytest

from .conftest import (
    GONE,
    KEEP,
    KEEP_INV,
    KEEP_SEEN,
    KEEP_W,
    Case,
    W,
    ann,
    check,
    entry,
    ids,
    run,
    seen,
    thing,
    world,
)

OBSERVE = ann(management_policy="ObserveOnly")
CREATE_ONLY = ann(management_policy="CreateOnly")

A_OBS = thing("a", OBSERVE, zone="z1", size=2)
A_OBS_ZONE = thing("a", OBSERVE, zone="z2", size=2)
A_CO = thing("a", CREATE_ONLY, zone="z1", size=2)
A_CO_ZONE = thing("a", CREATE_ONLY, zone="z2", size=2)
A_ORPHAN = thing("a", ann(deletion_policy="Orphan"), zone="z1", size=3)
GONE_A = thing("gone", zone="z1")  # an object removed from git, in the inventory

PRUNE = {"prune": True}


def leftover(annotations: dict[str, str]) -> Case:
    """An app that keeps K1, K2 and no longer declares GONE_A, which carries ``annotations``."""
    e = entry(GONE_A, annotations=annotations)
    return Case(
        "",
        "",
        desired=KEEP,
        observed=world(*KEEP_SEEN, (e, seen(zone="z1"))),
        inventory=[*KEEP_INV, e],
        flags=PRUNE,
    )


CASES = [
    Case(
        "observe-only-never-creates",
        "ObserveOnly reports a missing object and does not create it",
        desired=[A_OBS],
        observed=world((A_OBS, GONE)),
        want=[W("noop", "Thing/a", drift=True)],
    ),
    Case(
        "observe-only-never-updates",
        "ObserveOnly reports drift with its fields and does not update",
        desired=[A_OBS],
        observed=world((A_OBS, seen(zone="z1", size=5))),
        inventory=[entry(A_OBS)],
        want=[W("noop", "Thing/a", ("size",), drift=True)],
    ),
    Case(
        "observe-only-never-replaces",
        "ObserveOnly does not replace even when a forcing field differs",
        desired=[A_OBS_ZONE],
        observed=world((A_OBS_ZONE, seen(zone="z1", size=2))),
        inventory=[entry(A_OBS_ZONE)],
        want=[W("noop", "Thing/a", ("zone",), drift=True)],
    ),
    Case(
        "observe-only-in-sync",
        "ObserveOnly of a matching object: no drift",
        desired=[A_OBS],
        observed=world((A_OBS, seen(zone="z1", size=2))),
        inventory=[entry(A_OBS)],
        want=[W("noop", "Thing/a")],
    ),
    Case(
        "create-only-creates",
        "CreateOnly creates a missing object",
        desired=[A_CO],
        observed=world((A_CO, GONE)),
        want=[W("create", "Thing/a")],
    ),
    Case(
        "create-only-never-updates",
        "CreateOnly leaves an existing object as it is, but says it differs",
        desired=[A_CO],
        observed=world((A_CO, seen(zone="z1", size=5))),
        inventory=[entry(A_CO)],
        want=[W("noop", "Thing/a", ("size",), drift=True)],
    ),
    Case(
        "create-only-never-replaces",
        "CreateOnly does not delete and recreate for a forcing field",
        desired=[A_CO_ZONE],
        observed=world((A_CO_ZONE, seen(zone="z1", size=2))),
        inventory=[entry(A_CO_ZONE)],
        want=[W("noop", "Thing/a", ("zone",), drift=True)],
    ),
    Case(
        "orphan-still-updates",
        "deletion-policy Orphan is about deletes; updates go ahead",
        desired=[A_ORPHAN],
        observed=world((A_ORPHAN, seen(zone="z1", size=2))),
        inventory=[entry(A_ORPHAN, spec={"zone": "z1", "size": 2})],
        want=[W("update", "Thing/a", ("size",))],
    ),
    replace(
        leftover({}),
        id="prune-deletes",
        reason="baseline: a leftover with no policy is deleted on prune",
        want=[*KEEP_W, W("delete", "Thing/gone")],
    ),
    replace(
        leftover(ann(deletion_policy="Orphan")),
        id="orphan-prune-forgets",
        reason="deletion-policy Orphan: prune forgets the object and leaves it in place",
        want=[*KEEP_W, W("delete", "Thing/gone", forget=True)],
    ),
    replace(
        leftover(CREATE_ONLY),
        id="create-only-prune-forgets",
        reason="CreateOnly never deletes: prune only forgets",
        want=[*KEEP_W, W("delete", "Thing/gone", forget=True)],
    ),
    replace(
        leftover(OBSERVE),
        id="observe-only-prune-forgets",
        reason="ObserveOnly never deletes: prune only forgets",
        want=[*KEEP_W, W("delete", "Thing/gone", forget=True)],
    ),
    replace(
        leftover(ann(prevent_destroy="true")),
        id="prevent-destroy-blocks-prune",
        reason="prevent-destroy: prune refuses to delete and says how to proceed",
        want=KEEP_W,
        errors=["prevent-destroy"],
    ),
    replace(
        leftover(ann(prevent_destroy="TRUE")),
        id="prevent-destroy-any-case",
        reason="prevent-destroy is read case-insensitively",
        want=KEEP_W,
        errors=["prevent-destroy"],
    ),
    replace(
        leftover(ann(prevent_destroy="true", deletion_policy="Orphan")),
        id="orphan-with-prevent-destroy-forgets",
        reason="an orphaned object is not destroyed, so prevent-destroy has nothing to stop",
        want=[*KEEP_W, W("delete", "Thing/gone", forget=True)],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_policy(case: Case) -> None:
    check(case)


def test_forget_reasons_name_the_policy() -> None:
    orphan = run(leftover(ann(deletion_policy="Orphan"))).changes[-1]
    create_only = run(leftover(CREATE_ONLY)).changes[-1]
    assert "Orphan" in orphan.reason
    assert "CreateOnly" in create_only.reason
