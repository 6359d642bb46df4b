"""The plan model (after OpenTofu's ``plans`` package): plain data, no behaviour but summaries."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kedge.model import ClaimRef, Diagnostic, Resource, ResourceKey
from kedge.model.diagnostics import has_errors
from kedge.model.values import redact


class Action(enum.StrEnum):
    NOOP = "noop"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    # Nothing changes in the world; only what Kedge remembers does (annotations edited, an
    # existing object adopted or found again): apply writes the inventory, calls no provider
    # except to leave the ownership mark on an adopted object.
    RECORD = "record"


@dataclass(frozen=True)
class FieldDiff:
    path: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "before": redact(self.before), "after": redact(self.after)}


@dataclass(frozen=True)
class Change:
    action: Action
    key: ResourceKey
    before: Mapping[str, Any] | None = None  # observed state (None: does not exist)
    after: Mapping[str, Any] | None = None  # desired spec (None: to be deleted)
    diff: Sequence[FieldDiff] = ()
    reason: str = ""  # for humans only
    # The change's target: the desired resource exactly as apply sends it, references resolved
    # (``UNKNOWN`` where a value is known only after apply); None for deletes.
    resource: Resource | None = None
    # delete only: forget the resource instead of deleting it (Orphan, ObserveOnly, already gone)
    forget_only: bool = False
    adopt: bool = False  # the change takes over an existing unowned object
    drift: bool = False  # the object exists and differs from the desired state
    statements: Sequence[str] = ()  # what the provider will run (DDL), when it can tell
    # "Kind/name" of the resources this one waits for: references, depends-on and fields that
    # name another resource of the app (inferred); shown so the order of an apply is explained
    depends_on: Sequence[str] = ()
    claim: ClaimRef | None = None  # deletes only: the claim that composed it (from the inventory)

    @property
    def is_change(self) -> bool:
        return self.action is not Action.NOOP

    @property
    def claim_ref(self) -> ClaimRef | None:
        """The claim whose composed resource this is; None for a plain resource."""
        return self.resource.claim if self.resource is not None else self.claim

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "apiVersion": self.key.api_version,
            "kind": self.key.kind,
            "name": self.key.name,
            "diff": [d.to_json() for d in self.diff],
            "reason": self.reason,
            **({"claim": claim.to_json()} if (claim := self.claim_ref) is not None else {}),
            **({"statements": list(self.statements)} if self.statements else {}),
            **({"dependsOn": list(self.depends_on)} if self.depends_on else {}),
        }


@dataclass(frozen=True)
class Plan:
    changes: Sequence[Change] = ()
    diagnostics: Sequence[Diagnostic] = ()
    cost: Mapping[str, Any] | None = None  # monthly {"before", "after", "currency"}, when priced

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def has_changes(self) -> bool:
        return any(c.is_change for c in self.changes)

    def summary(self) -> dict[str, int]:
        counts = {a.value: 0 for a in Action}
        for c in self.changes:
            counts[c.action.value] += 1
        out = {k: counts[k] for k in ("create", "update", "replace", "delete", "noop")}
        if counts["record"]:
            out["record"] = counts["record"]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": [c.to_json() for c in self.changes],
            "summary": self.summary(),
            "diagnostics": [d.to_json() for d in self.diagnostics],
            **({"cost": dict(self.cost)} if self.cost is not None else {}),
        }
