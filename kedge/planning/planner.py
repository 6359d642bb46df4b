"""The planner: a pure function from (desired, observed, inventory) to a ``Plan``.

It implements the safety rules of the design (section 2): ownership and conflicts, adoption,
management and deletion policies, prevent-destroy, ignore-fields, and the two prune guards (an
empty source, and a prune of more than half of an app). It reads no clock, touches no
database and calls no provider: the engine gathers the inputs and performs the result.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from kedge.model import (
    DeletionPolicy,
    Diagnostic,
    Identity,
    InventoryEntry,
    KindSpec,
    ManagementPolicy,
    Observation,
    Resource,
)
from kedge.model.values import contains_secret
from kedge.planning.diff import diff_spec, is_ignored, mask_observed
from kedge.planning.plan import Action, Change, FieldDiff, Plan

KindLookup = Callable[[str, str], KindSpec | None]

# Codes of the planner's diagnostics (docs/status.md lists them as condition reasons).
CONFLICT = "Conflict"
NOT_OBSERVED = "NotObserved"
PREVENT_DESTROY = "PreventDestroy"
EMPTY_SOURCE = "EmptySource"
PRUNE_NEEDS_CONFIRMATION = "PruneNeedsConfirmation"


@dataclass(frozen=True)
class PlanInput:
    app: str
    desired: Sequence[Resource]
    observed: Mapping[Identity, Observation]  # every desired identity and every inventory identity
    inventory: Sequence[InventoryEntry] = ()  # what this app owns
    owners: Mapping[Identity, str] = field(default_factory=dict)  # owner app of any identity
    intents: Collection[Identity] = ()  # creates this app started and may not have recorded
    prune: bool = False
    allow_empty: bool = False
    confirm_prune: bool = False


def plan(inp: PlanInput, kinds: KindLookup) -> Plan:
    kinds = _remembered(kinds)
    changes: list[Change] = []
    diagnostics: list[Diagnostic] = []
    by_key = {e.key: e for e in inp.inventory}
    for resource in inp.desired:
        change, diags = _plan_resource(inp, resource, by_key.get(resource.key), kinds)
        diagnostics.extend(diags)
        if change is not None:
            changes.append(change)
    desired_ids = {r.identity() for r in inp.desired}
    desired_keys = {r.key for r in inp.desired}
    leftovers = [e for e in inp.inventory if e.identity not in desired_ids]
    # A resource whose identity changed (a File moved to another path) replaces its old object:
    # that delete is part of the change itself, not a prune.
    moved = [e for e in leftovers if e.key in desired_keys]
    for e in moved:
        change, diag = _plan_delete(inp, e, "identity changed; the old object is replaced")
        changes.extend([change] if change else [])
        diagnostics.extend([diag] if diag else [])
    deletes, diags = _plan_prune(inp, [e for e in leftovers if e.key not in desired_keys])
    changes.extend(deletes)
    diagnostics.extend(diags)
    return Plan(changes=changes, diagnostics=diagnostics)


def _remembered(kinds: KindLookup) -> KindLookup:
    """``kinds`` asked once per (apiVersion, kind) of a plan, not once per resource."""
    seen: dict[tuple[str, str], KindSpec | None] = {}

    def lookup(api_version: str, kind: str) -> KindSpec | None:
        key = (api_version, kind)
        if key not in seen:
            seen[key] = kinds(api_version, kind)
        return seen[key]

    return lookup


def _plan_resource(
    inp: PlanInput, r: Resource, entry: InventoryEntry | None, kinds: KindLookup
) -> tuple[Change | None, list[Diagnostic]]:
    identity = r.identity()
    owner = inp.owners.get(identity)
    if owner is not None and owner != inp.app:
        msg = f"{r.key}: {identity.external_id} is owned by app {owner!r}; an object has one owner app"
        return None, [_error(r, msg, CONFLICT)]
    observed = inp.observed.get(identity)
    if observed is None:
        return None, [_error(r, f"{r.key}: was not observed; cannot plan it", NOT_OBSERVED)]
    policy = r.management_policy
    if not observed.exists:
        gone = " (deleted outside Kedge)" if entry is not None and entry.identity == identity else ""
        if policy is ManagementPolicy.OBSERVE_ONLY:
            reason = f"does not exist{gone}; management-policy ObserveOnly: not created"
            return Change(Action.NOOP, r.key, None, r.spec, reason=reason, resource=r, drift=True), []
        # Something Kedge created and recorded is gone: that is drift (missing), not a new object.
        return (
            Change(
                Action.CREATE,
                r.key,
                None,
                r.spec,
                reason=f"does not exist{gone}",
                resource=r,
                drift=bool(gone),
            ),
            [],
        )

    if observed.owner is not None and observed.owner != inp.app:
        msg = (
            f"{r.key}: {identity.external_id} exists and is marked as owned by app "
            f"{observed.owner!r}; an object has one owner app"
        )
        return None, [_error(r, msg, CONFLICT)]
    owned = (
        (entry is not None and entry.identity == identity)
        or owner == inp.app
        or observed.owner == inp.app
        or identity in inp.intents
        or policy is ManagementPolicy.OBSERVE_ONLY  # only reads: needs no adoption
    )
    adopt = False
    if not owned:
        if not r.adopt:
            msg = (
                f"{r.key}: {identity.external_id} already exists and is not managed by Kedge; "
                'set the annotation kedge.dev/adopt: "true" to take it over'
            )
            return None, [_error(r, msg, CONFLICT)]
        adopt = True

    spec = kinds(r.key.api_version, r.key.kind)
    sensitive = spec.sensitive if spec else frozenset()
    state = (
        mask_observed(r.spec, observed.state, sensitive)
        if sensitive or contains_secret(r.spec)
        else dict(observed.state)
    )
    diff = diff_spec(r.spec, state, spec.schema if spec else None, r.ignore_fields)
    in_git_unchanged = entry is not None and dict(entry.spec) == dict(r.raw_spec)

    def change(action: Action, reason: str, drift: bool = False) -> Change:
        return Change(action, r.key, state, r.spec, diff, reason, r, adopt=adopt, drift=drift)

    if not diff:
        return _unchanged(r, entry, identity, adopt, change), []
    drift = in_git_unchanged or entry is None
    if policy is not ManagementPolicy.FULL:
        return change(Action.NOOP, f"differs; management-policy {policy.value}: not changed", True), []
    forcing = _forcing_replace(diff, spec)
    if forcing:
        if r.prevent_destroy:
            msg = (
                f"{r.key}: changing {', '.join(forcing)} replaces the object, and "
                "kedge.dev/prevent-destroy is set; remove the annotation to allow it"
            )
            return None, [_error(r, msg, PREVENT_DESTROY)]
        return change(Action.REPLACE, f"{', '.join(forcing)} cannot change in place", drift), []
    reason = "adopt existing object" if adopt else ("drift from desired state" if drift else "")
    return change(Action.UPDATE, reason, drift), []


def _unchanged(
    r: Resource,
    entry: InventoryEntry | None,
    identity: Identity,
    adopt: bool,
    change: Callable[[Action, str], Change],
) -> Change:
    """No field differs: a noop, or a record-only change when the inventory must learn something."""
    if adopt:
        return change(Action.RECORD, "adopt existing object (no changes): ownership recorded")
    if entry is None or entry.identity != identity:
        return change(Action.RECORD, "found existing object of this app: recorded in the inventory")
    if dict(entry.annotations) != dict(r.annotations) or dict(entry.labels) != dict(r.labels):
        return change(Action.RECORD, "annotations or labels changed: recorded in the inventory")
    if dict(entry.spec) != dict(r.raw_spec):
        return change(Action.RECORD, "the manifest changed and the object already matches: recorded")
    return change(Action.NOOP, "")


def _error(r: Resource, message: str, code: str) -> Diagnostic:
    return Diagnostic.error(message, file=r.file, line=r.line, code=code)


def _forcing_replace(diff: Sequence[FieldDiff], spec: KindSpec | None) -> list[str]:
    if spec is None or not spec.replace_on:
        return []
    paths = list(spec.replace_on)
    return [d.path for d in diff if is_ignored(d.path, paths)]


def _plan_prune(inp: PlanInput, leftovers: Sequence[InventoryEntry]) -> tuple[list[Change], list[Diagnostic]]:
    if not leftovers:
        return [], []
    names = ", ".join(str(e.key) for e in leftovers[:10]) + (" ..." if len(leftovers) > 10 else "")
    if not inp.prune:
        msg = f"{len(leftovers)} resource(s) are no longer in the source: {names}; prune to delete them"
        return [], [Diagnostic.warning(msg)]
    if not inp.desired and not inp.allow_empty:
        msg = (
            f"the source renders no resources; refusing to prune all {len(leftovers)} of them. "
            "If the app really is empty, set syncPolicy.allowEmpty (kedge apply --allow-empty)"
        )
        return [], [Diagnostic.error(msg, code=EMPTY_SOURCE)]
    changes: list[Change] = []
    errors: list[Diagnostic] = []
    for e in leftovers:
        change, diag = _plan_delete(inp, e, "no longer in the source")
        changes.extend([change] if change else [])
        errors.extend([diag] if diag else [])
    real = sum(1 for c in changes if not c.forget_only)
    if real * 2 > len(inp.inventory) and not inp.confirm_prune:
        errors.append(
            Diagnostic.error(
                f"prune would delete {real} of the app's {len(inp.inventory)} resources (more than half); "
                "check the source, then confirm with --confirm-prune",
                code=PRUNE_NEEDS_CONFIRMATION,
            )
        )
    return changes, errors


def _plan_delete(inp: PlanInput, e: InventoryEntry, why: str) -> tuple[Change | None, Diagnostic | None]:
    observed = inp.observed.get(e.identity)
    if observed is None:  # an error is never read as "gone"
        return None, Diagnostic.error(
            f"{e.key}: was not observed; cannot decide whether to delete it", code=NOT_OBSERVED
        )
    before = observed.state
    forget = _forget_reason(inp.app, e, observed)
    if forget:
        change = Change(Action.DELETE, e.key, before, None, reason=forget, forget_only=True, claim=e.claim)
        return change, None
    if e.annotation("prevent-destroy").lower() == "true":
        msg = (
            f"{e.key}: would be deleted ({why}) but has kedge.dev/prevent-destroy; "
            "remove the annotation in git first, or put the resource back"
        )
        if e.claim is not None:  # say what blocks the claim's deletion, not just that it hangs
            msg = (
                f"{e.claim}: its {e.key} would be deleted ({why}) but has kedge.dev/prevent-destroy, "
                "so the claim cannot be deleted; remove the annotation from the claim or the Composition "
                "first, or put the claim back"
            )
        return None, Diagnostic.error(msg, code=PREVENT_DESTROY)
    return Change(Action.DELETE, e.key, before, None, reason=why, claim=e.claim), None


def _forget_reason(app: str, e: InventoryEntry, observed: Observation) -> str:
    if not observed.exists:
        return "already gone; forgotten"
    if e.annotation("deletion-policy") == DeletionPolicy.ORPHAN.value:
        return "deletion-policy Orphan: left in place, forgotten"
    policy = e.annotation("management-policy")
    if policy in (ManagementPolicy.OBSERVE_ONLY.value, ManagementPolicy.CREATE_ONLY.value):
        return f"management-policy {policy}: left in place, forgotten"
    if observed.owner is not None and observed.owner != app:
        return f"now marked as owned by app {observed.owner!r}: left in place, forgotten"
    return ""
