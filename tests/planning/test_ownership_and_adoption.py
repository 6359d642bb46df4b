"""One owner app per object: conflicts, adoption of unowned objects, and recovery after a crash."""

from __future__ import annotations

import pytest

from .conftest import APP, GONE, OTHER_APP, Case, W, ann, check, entry, file, ids, seen, thing, world

A = thing("a", zone="z1", size=2)
A_ADOPT = thing("a", ann(adopt="true"), zone="z1", size=2)
B = thing("b", zone="z1")
CONF = file("conf", "etc/app.conf", ann(adopt="true"), content="x=1", mode="0600")

CASES = [
    Case(
        "conflict-owners-map",
        "an identity another app owns (inventory) is a conflict; nothing changes",
        desired=[A],
        observed=world((A, seen(owner=OTHER_APP, zone="z1", size=9))),
        owners={A.identity(): OTHER_APP},
        errors=["owned by app 'billing'"],
    ),
    Case(
        "conflict-owners-map-object-missing",
        "another app's identity is not created even if its object is gone",
        desired=[A],
        observed=world((A, GONE)),
        owners={A.identity(): OTHER_APP},
        errors=["owned by app 'billing'"],
    ),
    Case(
        "conflict-owners-map-despite-adopt",
        "adopt takes over unowned objects only, never another app's",
        desired=[A_ADOPT],
        observed=world((A_ADOPT, seen(owner=None, zone="z1", size=2))),
        owners={A_ADOPT.identity(): OTHER_APP},
        errors=["owned by app 'billing'"],
    ),
    Case(
        "conflict-ownership-mark",
        "an object marked by another app (tag, comment) is a conflict even if no inventory says so",
        desired=[A],
        observed=world((A, seen(owner=OTHER_APP, zone="z1", size=2))),
        errors=["marked as owned by app 'billing'"],
    ),
    Case(
        "conflict-ownership-mark-despite-adopt",
        "adopt does not take an object marked by another app",
        desired=[A_ADOPT],
        observed=world((A_ADOPT, seen(owner=OTHER_APP, zone="z1", size=2))),
        errors=["marked as owned by app 'billing'"],
    ),
    Case(
        "conflict-blocks-only-that-resource",
        "a conflict on one resource leaves the others planned",
        desired=[A, B],
        observed=world((A, seen(owner=OTHER_APP, zone="z1", size=2)), (B, GONE)),
        owners={A.identity(): OTHER_APP},
        want=[W("create", "Thing/b")],
        errors=["Thing/a"],
    ),
    Case(
        "conflicting-resource-is-not-pruned",
        "a desired resource in conflict is still desired: prune leaves it alone",
        desired=[A],
        observed=world((A, seen(owner=OTHER_APP, zone="z1", size=2))),
        inventory=[entry(A)],
        owners={A.identity(): OTHER_APP},
        flags={"prune": True, "confirm_prune": True},
        errors=["owned by app 'billing'"],
    ),
    Case(
        "unowned-without-adopt",
        "an existing object nobody owns is not taken over silently",
        desired=[A],
        observed=world((A, seen(owner=None, zone="z1", size=2))),
        errors=["kedge.dev/adopt"],
    ),
    Case(
        "unowned-file-without-adopt",
        "a File already at the path is not overwritten without adopt",
        desired=[file("conf", "etc/app.conf", content="x=1")],
        observed=world((file("conf", "etc/app.conf"), seen(owner=None, path="etc/app.conf", content="x=0"))),
        errors=["kedge.dev/adopt"],
    ),
    Case(
        "adopt-equal-is-noop",
        "adopting an object that already matches changes nothing but ownership: a record-only change",
        desired=[A_ADOPT],
        observed=world((A_ADOPT, seen(owner=None, zone="z1", size=2))),
        want=[W("record", "Thing/a", adopt=True)],
    ),
    Case(
        "adopt-differs-is-update",
        "adopting an object that differs updates it to the desired spec",
        desired=[CONF],
        observed=world((CONF, seen(owner=None, path="etc/app.conf", content="x=0", mode="0600"))),
        want=[W("update", "File/conf", ("content",), adopt=True, drift=True)],
    ),
    Case(
        "adopt-missing-is-create",
        "adopt on an object that does not exist is a plain create",
        desired=[A_ADOPT],
        observed=world((A_ADOPT, GONE)),
        want=[W("create", "Thing/a")],
    ),
    Case(
        "owned-via-owners-map",
        "the store says this app owns it: no conflict, no adoption; the inventory learns of it",
        desired=[A],
        observed=world((A, seen(owner=None, zone="z1", size=2))),
        owners={A.identity(): APP},
        want=[W("record", "Thing/a")],
    ),
    Case(
        "owned-via-mark-after-store-loss",
        "the ownership mark alone proves ownership (Kedge's database was lost)",
        desired=[A],
        observed=world((A, seen(owner=APP, zone="z1", size=3))),
        want=[W("update", "Thing/a", ("size",), drift=True)],
    ),
    Case(
        "intent-recovers-unmarked-object",
        "kill -9 after create, before the inventory write: the intent makes it ours, no second create; "
        "the inventory entry is recorded",
        desired=[A],
        observed=world((A, seen(owner=None, zone="z1", size=2))),
        intents=[A.identity()],
        want=[W("record", "Thing/a")],
    ),
    Case(
        "intent-recovers-and-updates",
        "a recovered object that differs is updated, not adopted and not recreated",
        desired=[A],
        observed=world((A, seen(owner=None, zone="z1", size=1))),
        intents=[A.identity()],
        want=[W("update", "Thing/a", ("size",), drift=True)],
    ),
    Case(
        "intent-without-object-creates-once",
        "kill -9 before the create reached the target: create it, once",
        desired=[A],
        observed=world((A, GONE)),
        intents=[A.identity()],
        want=[W("create", "Thing/a")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_ownership(case: Case) -> None:
    check(case)


def test_intent_does_not_override_another_apps_mark() -> None:
    # The create this app started never reached the target; another app created the object and
    # marked it. The stale intent must not make this app update an object another app owns.
    check(
        Case(
            "intent-vs-foreign-mark",
            "an object marked by another app is a conflict, whatever intents this app kept",
            desired=[A],
            observed=world((A, seen(owner=OTHER_APP, zone="z1", size=9))),
            intents=[A.identity()],
            errors=["owned by app 'billing'"],
        )
    )
