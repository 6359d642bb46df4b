"""The app page's claim tree: composed resources under the claim that composed them.

A claim's status is the worst of its resources' (Missing, then OutOfSync, then Unknown, then
Synced): one missing bucket makes the whole ObjectStore missing. Whether a claim is ready, and
which resource and ``readyWhen`` expression hold it back, come from the app's status
(``status.claims``), where the controller keeps each claim's last readiness. Pure: resources in,
tree out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WORST_FIRST = ("Error", "Missing", "OutOfSync", "Unknown", "Synced")


@dataclass(frozen=True)
class ClaimNode:
    kind: str
    name: str
    status: str
    resources: tuple[Mapping[str, Any], ...]
    message: str = ""  # why the claim composed nothing, from the app's status
    ready: bool | None = None  # None: not judged yet (no reconcile has observed it)
    waiting: tuple[Mapping[str, Any], ...] = ()  # {resource, id, readyWhen, reason}


def claim_tree(
    resources: Sequence[Mapping[str, Any]], last: Sequence[Mapping[str, Any]] = ()
) -> list[ClaimNode]:
    """``last``: the claims of the app's status (``status.claims``), which also name the claims
    whose errors kept them from composing anything."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for resource in resources:
        claim = resource.get("claim")
        if isinstance(claim, Mapping):
            groups.setdefault((str(claim.get("kind")), str(claim.get("name"))), []).append(resource)
    known = {(str(c.get("kind")), str(c.get("name"))): c for c in last}
    nodes = [
        ClaimNode(
            kind,
            name,
            worst(r.get("status", "Unknown") for r in members),
            tuple(members),
            **_readiness(known.get((kind, name))),
        )
        for (kind, name), members in groups.items()
    ]
    for key, claim in known.items():
        if claim.get("status") == "Error" and key not in groups:
            nodes.append(ClaimNode(*key, "Error", (), str(claim.get("message", "")), ready=False))
    return nodes


def _readiness(claim: Mapping[str, Any] | None) -> dict[str, Any]:
    if claim is None or not isinstance(claim.get("ready"), bool):
        return {}
    waiting = [w for w in claim.get("waiting") or () if isinstance(w, Mapping)]
    return {"ready": claim["ready"], "waiting": tuple(waiting)}


def worst(statuses: Any) -> str:
    seen = set(statuses)
    return next((s for s in WORST_FIRST if s in seen), "Unknown")
