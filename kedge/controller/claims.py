"""Each claim's last result, kept in the app's status: what it composed, its state, its error.

    status.claims = claim_statuses(run)

A claim's state is the worst of its composed resources' (Missing, OutOfSync, Synced); a claim
with an error says so in ``message`` (the claim's file and line included), so a user reading
the app's status sees which claim is wrong and why, not only that the app is.
"""

from __future__ import annotations

from typing import Any

from kedge.engine import AppRun
from kedge.planning import Action

WORST_FIRST = ("Error", "Missing", "OutOfSync", "Unknown", "Synced")


def claim_statuses(run: AppRun) -> list[dict[str, Any]]:
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
            }
        )
    return out


def settled(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The claims once the app is in sync: every claim without an error is Synced."""
    return [c if c["status"] == "Error" else {**c, "status": "Synced"} for c in claims]


def _state(change: Any) -> str:
    if change is None:
        return "Unknown"
    if change.action is Action.CREATE:
        return "Missing"
    return "OutOfSync" if change.is_change or change.diff else "Synced"
