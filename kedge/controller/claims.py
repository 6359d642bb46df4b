"""Each claim's last result, kept in the app's status: what it composed, its state, its error.

    status.claims = claim_statuses(run, run_readiness(engine, run))

A claim's state is the worst of its composed resources' (Missing, OutOfSync, Synced); a claim
with an error says so in ``message`` (the claim's file and line included), so a user reading
the app's status sees which claim is wrong and why, not only that the app is. ``ready`` is the
claim's readiness by its Composition's ``readyWhen`` expressions; when it is false, ``waiting``
names each composed resource holding it back, its expression and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kedge.engine import AppRun
from kedge.planning import Action

if TYPE_CHECKING:
    from kedge.compositions import Readiness

WORST_FIRST = ("Error", "Missing", "OutOfSync", "Unknown", "Synced")


def claim_statuses(
    run: AppRun, readiness: Mapping[tuple[str, str], Readiness] | None = None
) -> list[dict[str, Any]]:
    changes = {c.key: c for c in run.plan.changes}
    composed: dict[tuple[str, str], list[str]] = {}
    states: dict[tuple[str, str], set[str]] = {}
    for resource in run.rendered.resources:
        owner = resource.claim
        if owner is None:
            continue
        ref = (owner.kind, owner.name)
        composed.setdefault(ref, []).append(str(resource.key))
        states.setdefault(ref, set()).add(_state(changes.get(resource.key)))
    out: list[dict[str, Any]] = []
    for claim in run.rendered.claims:
        ref = (claim.kind, claim.name)
        prefix = f"{claim.kind}/{claim.name}"
        errors = [d for d in run.plan.diagnostics if d.is_error and d.message.startswith(prefix)]
        seen = {"Error"} if errors else states.get(ref, {"Unknown"})
        out.append(
            {
                "kind": claim.kind,
                "name": claim.name,
                "status": next(s for s in WORST_FIRST if s in seen),
                "resources": composed.get(ref, []),
                "message": str(errors[0])[:500] if errors else "",
                **_ready(None if errors else (readiness or {}).get(ref)),
            }
        )
    return out


def settled(
    claims: list[dict[str, Any]], readiness: Mapping[tuple[str, str], Readiness] | None = None
) -> list[dict[str, Any]]:
    """The claims once the app is in sync: every claim without an error is Synced, and its
    readiness is judged on what was applied."""
    out: list[dict[str, Any]] = []
    for c in claims:
        if c["status"] == "Error":
            out.append(c)
            continue
        ready = (readiness or {}).get((c["kind"], c["name"]))
        out.append({**c, "status": "Synced", **(_ready(ready) if readiness is not None else {})})
    return out


def _ready(readiness: Readiness | None) -> dict[str, Any]:
    if readiness is None:
        return {"ready": False, "waiting": []}
    return readiness.to_json()


def _state(change: Any) -> str:
    if change is None:
        return "Unknown"
    if change.action is Action.CREATE:
        return "Missing"
    return "OutOfSync" if change.is_change or change.diff else "Synced"
