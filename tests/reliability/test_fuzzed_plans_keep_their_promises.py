"""Random (desired, observed, inventory) triples: the planner keeps its safety promises.

For every triple Hypothesis draws, the plan:
- never raises, and never deletes an object the app does not own, or one another app marks;
- prunes nothing unless asked, nothing when the source is empty (without allowEmpty), and
  refuses to delete more than half of the app without confirmation;
- once applied (simulated here exactly as the engine records results), plans nothing more.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kedge.model import Identity, InventoryEntry, Observation, Resource
from kedge.planning.plan import Action, Plan
from kedge.planning.planner import PlanInput, plan
from tests.planning.conftest import APP, OTHER_APP, kinds, thing

NAMES = [f"k{i}" for i in range(6)]
GONE = Observation.missing()
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

specs = st.fixed_dictionaries(
    {},
    optional={
        "zone": st.sampled_from(["z1", "z2"]),
        "size": st.integers(min_value=0, max_value=3),
        "tags": st.dictionaries(st.sampled_from(["a", "b"]), st.sampled_from(["x", "y"]), max_size=2),
    },
)
flags = st.fixed_dictionaries(
    {},
    optional={
        "kedge.dev/adopt": st.sampled_from(["true", "false"]),
        "kedge.dev/deletion-policy": st.sampled_from(["Delete", "Orphan"]),
        "kedge.dev/prevent-destroy": st.sampled_from(["true", "false"]),
        "kedge.dev/management-policy": st.sampled_from(["Full", "ObserveOnly", "CreateOnly"]),
    },
)
# Most resources carry no annotation, so that plain deletes (what the guards are about) are common.
annotations = st.one_of(st.just({}), st.just({}), flags)
observations = st.one_of(
    st.just(Observation.missing()),
    st.builds(
        lambda state, owner: Observation(exists=True, state=state, owner=owner),
        specs,
        st.sampled_from([APP, None, OTHER_APP]),
    ),
)


@st.composite
def triples(draw: st.DrawFn) -> PlanInput:
    desired_names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=len(NAMES)))
    desired = [thing(n, draw(annotations), **draw(specs)) for n in desired_names]
    owned = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=len(NAMES)))
    inventory = [_entry(thing(n, draw(annotations), **draw(specs))) for n in owned]
    # The usual world: what the app owns exists with its mark; anything may be otherwise.
    usual = {n: Observation(exists=True, state=draw(specs), owner=APP) for n in owned}
    observed = {
        thing(n).identity(): draw(st.one_of(st.just(usual.get(n, GONE)), observations))
        for n in NAMES
    }
    owners: dict[Identity, str] = {e.identity: APP for e in inventory}
    for n in NAMES:
        ident = thing(n).identity()
        if ident not in owners and draw(st.integers(0, 3)) == 0:
            owners[ident] = OTHER_APP
    sync = draw(st.fixed_dictionaries({"prune": st.booleans(), "allow_empty": st.booleans(),
                                       "confirm_prune": st.booleans()}))
    return PlanInput(APP, desired, observed, inventory, owners, **sync)


def _entry(r: Resource) -> InventoryEntry:
    return InventoryEntry(APP, r.key, r.identity(), dict(r.raw_spec), annotations=dict(r.annotations))


@FUZZ
@given(triples())
def test_no_delete_of_what_the_app_does_not_own(inp: PlanInput) -> None:
    p = plan(inp, kinds)
    owned = {e.identity for e in inp.inventory}
    for c in p.changes:
        if c.action is Action.DELETE:
            ident = _identity(inp, c.key)
            assert ident in owned, f"{c.key} deleted but not in the inventory"
            seen = inp.observed[ident]
            if not c.forget_only:
                assert seen.exists and seen.owner in (APP, None), f"{c.key} owned by {seen.owner}"


@FUZZ
@given(triples())
def test_prune_guards_hold(inp: PlanInput) -> None:
    p = plan(inp, kinds)
    deletes = [c for c in p.changes if c.action is Action.DELETE and not c.forget_only]
    if not inp.prune:
        assert not [c for c in p.changes if c.action is Action.DELETE]
    if inp.prune and not inp.desired and not inp.allow_empty and inp.inventory:
        assert not p.ok
    if len(deletes) * 2 > len(inp.inventory) and not inp.confirm_prune:
        assert not p.ok, "more than half deleted without confirmation"


@FUZZ
@given(triples())
def test_an_applied_plan_plans_nothing_more(inp: PlanInput) -> None:
    first = plan(inp, kinds)
    if not first.ok:
        return
    again = plan(_apply(inp, first), kinds)
    assert again.ok, again.diagnostics
    assert [c for c in again.changes if c.is_change] == []


def _identity(inp: PlanInput, key: Any) -> Identity:
    return next(e.identity for e in inp.inventory if e.key == key)


def _apply(inp: PlanInput, p: Plan) -> PlanInput:
    """The world and the inventory after the engine performed ``p``, as it records them."""
    observed = dict(inp.observed)
    inventory = {e.key: e for e in inp.inventory}
    owners = dict(inp.owners)
    for c in p.changes:
        if c.action is Action.DELETE:
            ident = inventory.pop(c.key).identity
            owners.pop(ident, None)
            if not c.forget_only:
                observed[ident] = Observation.missing()
            continue
        r = c.resource
        assert r is not None
        ident = r.identity()
        if c.action in (Action.CREATE, Action.UPDATE, Action.REPLACE):
            observed[ident] = Observation(exists=True, state=dict(r.spec), owner=APP)
        if c.action is not Action.NOOP or c.adopt or c.key in inventory or observed[ident].exists:
            if c.action is Action.NOOP and not observed[ident].exists:
                continue  # ObserveOnly of a missing object: nothing to own
            inventory[c.key] = _entry(r)
            owners[ident] = APP
    return replace(inp, observed=observed, inventory=list(inventory.values()), owners=owners)
