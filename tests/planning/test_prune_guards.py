"""Prune: only with the flag, never for an empty source, never more than half without confirmation;
objects already gone are forgotten, and a changed identity replaces its old object."""

from __future__ import annotations

import pytest

from kedge.model import Resource

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
    file,
    ids,
    plan_of,
    seen,
    thing,
    world,
)

G1, G2, G3 = thing("g1", zone="z1"), thing("g2", zone="z1"), thing("g3", zone="z1")
GS = [G1, G2, G3]
GS_INV = [entry(g) for g in GS]
GS_SEEN = [(g, seen(zone="z1")) for g in GS]

K1 = KEEP[0]
CONF_OLD = file("conf", "etc/old.conf", content="x=1")
CONF_NEW = file("conf", "etc/new.conf", content="x=1")


def deletes(*rs: Resource, forget: bool = False) -> list[W]:
    return [W("delete", str(r.key), forget=forget) for r in rs]


CASES = [
    Case(
        "prune-off-warns",
        "without prune a leftover is reported, by name, and left alone",
        desired=KEEP,
        observed=world(*KEEP_SEEN, (G1, seen(zone="z1"))),
        inventory=[*KEEP_INV, entry(G1)],
        want=KEEP_W,
        warnings=["Thing/g1"],
    ),
    Case(
        "prune-off-lists-every-leftover",
        "the warning counts and names every leftover",
        desired=[K1],
        observed=world((K1, seen(zone="z1")), *GS_SEEN),
        inventory=[entry(K1), *GS_INV],
        want=KEEP_W[:1],
        warnings=["3 resource(s) are no longer in the source: Thing/g1, Thing/g2, Thing/g3"],
    ),
    Case(
        "prune-off-empty-source",
        "an empty source without prune only warns",
        desired=[],
        observed=world(*GS_SEEN),
        inventory=GS_INV,
        warnings=["prune to delete them"],
    ),
    Case(
        "prune-one-of-three",
        "a leftover is deleted on prune",
        desired=KEEP,
        observed=world(*KEEP_SEEN, (G1, seen(zone="z1"))),
        inventory=[*KEEP_INV, entry(G1)],
        flags={"prune": True},
        want=[*KEEP_W, *deletes(G1)],
    ),
    Case(
        "prune-empty-source-refused",
        "an empty rendered set never prunes: error and no deletes",
        desired=[],
        observed=world(*GS_SEEN),
        inventory=GS_INV,
        flags={"prune": True, "confirm_prune": True},
        errors=["allowEmpty"],
    ),
    Case(
        "prune-empty-source-allowed",
        "allowEmpty (and confirmation for more than half) deletes everything",
        desired=[],
        observed=world(*GS_SEEN),
        inventory=GS_INV,
        flags={"prune": True, "allow_empty": True, "confirm_prune": True},
        want=deletes(*GS),
    ),
    Case(
        "prune-empty-source-allowed-still-guarded",
        "allowEmpty lifts the empty-source guard, not the more-than-half one",
        desired=[],
        observed=world(*GS_SEEN),
        inventory=GS_INV,
        flags={"prune": True, "allow_empty": True},
        want=deletes(*GS),
        errors=["--confirm-prune"],
    ),
    Case(
        "more-than-half-needs-confirmation",
        "3 of 4 resources is more than half: the plan stops and asks",
        desired=[K1],
        observed=world((K1, seen(zone="z1")), *GS_SEEN),
        inventory=[entry(K1), *GS_INV],
        flags={"prune": True},
        want=[KEEP_W[0], *deletes(*GS)],
        errors=["3 of the app's 4"],
    ),
    Case(
        "more-than-half-confirmed",
        "confirm_prune lets 3 of 4 go",
        desired=[K1],
        observed=world((K1, seen(zone="z1")), *GS_SEEN),
        inventory=[entry(K1), *GS_INV],
        flags={"prune": True, "confirm_prune": True},
        want=[KEEP_W[0], *deletes(*GS)],
    ),
    Case(
        "exactly-half-is-fine",
        "2 of 4 is not more than half",
        desired=KEEP,
        observed=world(*KEEP_SEEN, *GS_SEEN[:2]),
        inventory=[*KEEP_INV, *GS_INV[:2]],
        flags={"prune": True},
        want=[*KEEP_W, *deletes(G1, G2)],
    ),
    Case(
        "already-gone-is-forgotten",
        "an inventory object that no longer exists is forgotten, not deleted",
        desired=KEEP,
        observed=world(*KEEP_SEEN, (G1, GONE)),
        inventory=[*KEEP_INV, entry(G1)],
        flags={"prune": True},
        want=[*KEEP_W, *deletes(G1, forget=True)],
    ),
    Case(
        "forgetting-does-not-count-as-deleting",
        "3 of 4 leave, but 2 are already gone: 1 real delete is not more than half",
        desired=[K1],
        observed=world((K1, seen(zone="z1")), (G1, GONE), (G2, GONE), (G3, seen(zone="z1"))),
        inventory=[entry(K1), *GS_INV],
        flags={"prune": True},
        want=[KEEP_W[0], *deletes(G1, G2, forget=True), *deletes(G3)],
    ),
    Case(
        "foreign-mark-is-forgotten",
        "a leftover now marked by another app is left to it and forgotten",
        desired=KEEP,
        observed=world(*KEEP_SEEN, (G1, seen(owner="billing", zone="z1"))),
        inventory=[*KEEP_INV, entry(G1)],
        flags={"prune": True},
        want=[*KEEP_W, *deletes(G1, forget=True)],
    ),
    Case(
        "identity-change-replaces-without-prune",
        "a File moved to another path: create the new object, delete the old, prune or not",
        desired=[CONF_NEW],
        observed=world((CONF_NEW, GONE), (CONF_OLD, seen(path="etc/old.conf", content="x=1"))),
        inventory=[entry(CONF_OLD)],
        want=[W("create", "File/conf"), W("delete", "File/conf")],
    ),
    Case(
        "identity-change-not-a-prune",
        "the delete of a moved object is not counted by the more-than-half guard",
        desired=[CONF_NEW],
        observed=world((CONF_NEW, GONE), (CONF_OLD, seen(path="etc/old.conf", content="x=1"))),
        inventory=[entry(CONF_OLD)],
        flags={"prune": True},
        want=[W("create", "File/conf"), W("delete", "File/conf")],
    ),
    Case(
        "identity-change-old-gone",
        "a moved File whose old path is already gone: the old one is only forgotten",
        desired=[CONF_NEW],
        observed=world((CONF_NEW, GONE), (CONF_OLD, GONE)),
        inventory=[entry(CONF_OLD)],
        want=[W("create", "File/conf"), W("delete", "File/conf", forget=True)],
    ),
    Case(
        "identity-change-orphan",
        "a moved File with deletion-policy Orphan leaves its old object in place",
        desired=[CONF_NEW],
        observed=world((CONF_NEW, GONE), (CONF_OLD, seen(path="etc/old.conf", content="x=1"))),
        inventory=[entry(CONF_OLD, annotations=ann(deletion_policy="Orphan"))],
        want=[W("create", "File/conf"), W("delete", "File/conf", forget=True)],
    ),
    Case(
        "identity-change-prevent-destroy",
        "a moved File with prevent-destroy cannot delete its old object: error",
        desired=[CONF_NEW],
        observed=world((CONF_NEW, GONE), (CONF_OLD, seen(path="etc/old.conf", content="x=1"))),
        inventory=[entry(CONF_OLD, annotations=ann(prevent_destroy="true"))],
        want=[W("create", "File/conf")],
        errors=["prevent-destroy"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_prune(case: Case) -> None:
    check(case)


def test_moved_object_delete_targets_the_old_state() -> None:
    old_state = {"path": "etc/old.conf", "content": "x=1"}
    p = plan_of(
        desired=[CONF_NEW],
        observed=world((CONF_NEW, GONE), (CONF_OLD, seen(**old_state))),
        inventory=[entry(CONF_OLD)],
    )
    delete = p.changes[-1]
    assert delete.before == old_state
    assert delete.after is None
    assert "identity changed" in delete.reason


def test_prune_off_warning_lists_at_most_ten_names() -> None:
    many = [thing(f"t{i:02}", zone="z1") for i in range(12)]
    p = plan_of(
        desired=[K1],
        observed=world((K1, seen(zone="z1")), *[(t, GONE) for t in many]),
        inventory=[entry(K1), *[entry(t) for t in many]],
    )
    (d,) = p.diagnostics
    assert "Thing/t09" in d.message
    assert "Thing/t10" not in d.message
    assert "12 resource(s)" in d.message


def test_unobserved_inventory_object_is_not_forgotten() -> None:
    # DESIGN 2: a provider error is never read as "resource gone". A desired resource that was
    # not observed is an error; an owned leftover that was not observed must not silently drop
    # out of the inventory either (it would become an untracked object).
    check(
        Case(
            "unobserved-leftover",
            "a leftover nobody observed is neither deleted nor forgotten",
            desired=KEEP,
            observed=world(*KEEP_SEEN),
            inventory=[*KEEP_INV, entry(G1)],
            flags={"prune": True},
            want=KEEP_W,
            errors=["not observed"],
        )
    )
