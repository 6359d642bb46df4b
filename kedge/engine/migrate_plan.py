"""Plan a claim's move to another Composition: one ``migrate`` change per claim.

    plan = plan_with_migrations(plan_input, kinds, run, platform)

A claim migrates when its Definition says ``spec.migration: copyObjects`` and the app still
owns resources the claim composed before that its Composition no longer composes (a commit
changed ``kedge.dev/composition``, or an earlier migration stopped half-way). Its plan then
holds the creates of the new resources (as any plan), one ``migrate`` change that copies the
objects of every old store (bucket, container) into its new counterpart, and the deletes of the
old resources, which run only after a verified copy and need ``--confirm-prune`` (API
``confirmPrune``) whatever their number, as a large prune does. Without a ``migration`` the
claim's old resources are pruned like any resource that left the source.

The objects and bytes to copy are listed from the old stores here, at plan time; a store that
cannot be listed is an error of the plan (never "0 objects"). This module is not the copy:
``migrate_apply`` performs it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kedge.compositions.choose import choose
from kedge.compositions.platform import PLATFORM_KINDS, Composition, Platform
from kedge.engine.apply import scrubber
from kedge.engine.targets import entry_target, target
from kedge.manifests import ClaimDocument
from kedge.model import ClaimRef, Diagnostic, InventoryEntry, KedgeError, Resource, ResourceKey
from kedge.planning import Action, Change, Plan
from kedge.planning.plan import Migration, StoreCopy
from kedge.planning.planner import PRUNE_NEEDS_CONFIRMATION, KindLookup, PlanInput
from kedge.planning.planner import plan as make_plan
from kedge.store import Run

if TYPE_CHECKING:
    from kedge.compositions import ClaimExpander
    from kedge.engine.run import AppRun

COPY_OBJECTS = "copyObjects"
SOURCE_UNREADABLE = "MigrationSourceUnreadable"
NO_TARGET_STORE = "MigrationHasNoTarget"


@dataclass(frozen=True)
class Moving:
    """A claim whose old resources are still owned while its Composition composes others."""

    claim: ClaimDocument
    composition: Composition
    new: tuple[Resource, ...]
    old: tuple[InventoryEntry, ...]

    @property
    def ref(self) -> ClaimRef:
        return self.claim.ref

    @property
    def key(self) -> ResourceKey:
        return ResourceKey(self.claim.api_version, self.claim.kind, self.claim.name)


def platform_of(expander: ClaimExpander, run: AppRun) -> Platform:
    declared = [d for d in run.rendered.core if d.kind in PLATFORM_KINDS] if expander.allow_declared else []
    return expander.platform(declared)[0]


def moving_claims(
    platform: Platform,
    claims: Sequence[ClaimDocument],
    desired: Sequence[Resource],
    inventory: Sequence[InventoryEntry],
) -> list[Moving]:
    """The claims that migrate (pure)."""
    migrating = [
        c
        for c in claims
        if (d := platform.definition_for(c.api_version, c.kind)) is not None and d.migration == COPY_OBJECTS
    ]
    if not migrating:
        return []
    desired_ids = {r.identity() for r in desired}
    desired_keys = {r.key for r in desired}
    new_of: dict[ClaimRef, list[Resource]] = {}
    for r in desired:
        if (ref := r.claim) is not None:
            new_of.setdefault(ref, []).append(r)
    old_of: dict[ClaimRef, list[InventoryEntry]] = {}
    for e in inventory:
        if (ref := e.claim) is not None and e.identity not in desired_ids and e.key not in desired_keys:
            old_of.setdefault(ref, []).append(e)
    out: list[Moving] = []
    for claim in migrating:
        new, old = new_of.get(claim.ref), old_of.get(claim.ref)
        if not new or not old:
            continue
        definition = platform.definitions[claim.kind]
        composition = choose(platform, definition, claim)
        if isinstance(composition, Composition):
            out.append(Moving(claim, composition, tuple(new), tuple(old)))
    return out


def plan_with_migrations(
    inp: PlanInput,
    kinds: KindLookup,
    run: AppRun,
    expander: ClaimExpander | None,
    earlier: Callable[[], Sequence[Run]] = lambda: (),
) -> Plan:
    """The app's plan, with one ``migrate`` change per moving claim (see the module docstring).

    ``earlier``: the app's last runs, read only when a claim moves, so that a move whose last
    attempt failed says why in its plan (and in the claim's status) until it is finished."""
    if not run.rendered.claims or expander is None:
        return make_plan(inp, kinds)
    moving = moving_claims(platform_of(expander, run), run.rendered.claims, inp.desired, inp.inventory)
    if not moving:
        return make_plan(inp, kinds)
    leaving = {e.key for m in moving for e in m.old}
    # The old resources are the migration's to delete, not the prune's: plan the rest without them.
    base = make_plan(
        dataclasses.replace(inp, inventory=[e for e in inp.inventory if e.key not in leaving]), kinds
    )
    changes, diagnostics = list(base.changes), list(base.diagnostics)
    failures = _last_failures(earlier())
    for m in moving:
        failed = failures.get(m.key)
        resume = f"; its last attempt failed ({failed}), applying again resumes it" if failed else ""
        deletes, problems = _deletes(inp, kinds, m)
        copies, listing = _copies(run, m)
        diagnostics.extend([*problems, *listing])
        real = [c for c in deletes if not c.forget_only]
        names = ", ".join(str(c.key) for c in real)
        if real and not inp.confirm_prune:
            diagnostics.append(
                Diagnostic.error(
                    f"{m.ref}: moving to Composition {m.composition.name} deletes {len(real)} old "
                    f"resource(s) ({names}) once every object is copied and verified{resume}; review the "
                    "plan, then confirm with --confirm-prune (API: confirmPrune)",
                    m.claim.file,
                    m.claim.line,
                    code=PRUNE_NEEDS_CONFIRMATION,
                )
            )
        if failed and inp.confirm_prune:
            diagnostics.append(
                Diagnostic.warning(f"{m.ref}: resuming a move{resume}", m.claim.file, m.claim.line)
            )
        migration = Migration(
            m.composition.name, tuple(r.key for r in m.new), tuple(e.key for e in m.old), tuple(copies)
        )
        changes.append(
            Change(
                Action.MIGRATE,
                m.key,
                reason=_reason(m, migration),
                claim=m.ref,
                migration=migration,
            )
        )
        changes.extend(deletes)
    return Plan(changes, diagnostics)


def _last_failures(runs: Sequence[Run]) -> dict[ResourceKey, str]:
    """The error of each claim's latest migrate attempt that failed (newest run first), unless
    a later one succeeded."""
    out: dict[ResourceKey, str] = {}
    seen: set[ResourceKey] = set()
    for past in runs:
        for result in past.results:
            if result.action != Action.MIGRATE.value or result.key in seen:
                continue
            seen.add(result.key)
            if result.result == "failed" and result.error:
                out[result.key] = result.error[:500]
    return out


def _reason(m: Moving, migration: Migration) -> str:
    objects, size = migration.objects, migration.bytes
    if not migration.copies:
        what = "no objects to copy"
    elif objects is None or size is None:
        what = "objects unknown (a store could not be listed)"
    else:
        what = f"copy {objects} object(s), {_size(size)}"
    return f"to Composition {m.composition.name}: {what}, then delete {len(m.old)} old resource(s)"


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _deletes(inp: PlanInput, kinds: KindLookup, m: Moving) -> tuple[list[Change], list[Diagnostic]]:
    """The old resources' deletes as the planner decides them (Orphan, prevent-destroy, gone)."""
    alone = PlanInput(
        app=inp.app,
        desired=[],
        observed=inp.observed,
        inventory=list(m.old),
        prune=True,
        allow_empty=True,
        confirm_prune=True,
    )
    planned = make_plan(alone, kinds)
    target = ", ".join(str(r.key) for r in m.new)
    deletes = [
        c if c.forget_only else dataclasses.replace(c, reason=f"moved to {target}: deleted after the copy")
        for c in planned.changes
        if c.action is Action.DELETE
    ]
    return deletes, [d for d in planned.diagnostics if d.is_error]


StoreOf = Callable[[Any], Any]


def _copies(run: AppRun, m: Moving) -> tuple[list[StoreCopy], list[Diagnostic]]:
    """Pair each old store with its new one and list what it holds."""
    if run.basis is None:  # nothing was observed: there is nothing to pair
        return [], []
    basis = run.basis
    conns, observed = basis.conns, basis.observed

    def store(config: str, target: Any) -> Any:
        objects = getattr(conns.client(config), "objects", None)
        if objects is None:
            return None
        try:
            return objects(target)
        except KedgeError:  # a kind that holds no objects
            return None

    sources = [(e, s) for e in m.old if (s := store(e.identity.provider_config, entry_target(e))) is not None]
    targets = [
        r
        for r in m.new
        if store(
            r.provider_config,
            target(observed.resolved[r.key], basis.by_key) if r.key in observed.resolved else _bare(r),
        )
        is not None
    ]
    copies: list[StoreCopy] = []
    problems: list[Diagnostic] = []
    for entry, source in sources:
        seen = observed.by_identity.get(entry.identity)
        if seen is not None and not seen.exists:
            continue  # already gone: nothing left to copy
        match = [r for r in targets if r.key.name == entry.key.name] or (targets if len(targets) == 1 else [])
        if len(match) != 1:
            where = ", ".join(str(r.key) for r in targets) or "none"
            problems.append(
                Diagnostic.error(
                    f"{m.ref}: cannot tell which new store receives the objects of {entry.key} "
                    f"(stores of Composition {m.composition.name}: {where}); give the new store the old "
                    "one's name, or compose exactly one store",
                    m.claim.file,
                    m.claim.line,
                    code=NO_TARGET_STORE,
                )
            )
            continue
        objects, size, error = _count(source)
        error = scrubber(lambda: run.secrets)(error) if error is not None else None
        if error is not None:
            problems.append(
                Diagnostic.error(
                    f"{m.ref}: cannot list {source.url} ({entry.key}) to plan its migration: {error}; "
                    "nothing is copied or deleted until it can be read",
                    m.claim.file,
                    m.claim.line,
                    code=SOURCE_UNREADABLE,
                )
            )
        copies.append(StoreCopy(entry.key, match[0].key, objects, size))
    return copies, problems


def _count(source: Any) -> tuple[int | None, int | None, str | None]:
    objects = size = 0
    try:
        for info in source.list():
            objects += 1
            size += info.size
    except Exception as err:  # any failure to list is unknown, never "0 objects"
        text = str(err).splitlines()[0] if str(err) else type(err).__name__
        return None, None, text[:300]
    return objects, size, None


def _bare(r: Resource) -> Any:
    from kedge.providers.base import Target

    return Target(r.key, r.identity().external_id, r.spec, {}, r.annotations)
