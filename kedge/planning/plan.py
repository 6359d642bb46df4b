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
    # A claim moves to another Composition: its new resources are created, every object of
    # its old stores is copied into the new ones, then the old resources are deleted.
    MIGRATE = "migrate"


@dataclass(frozen=True)
class FieldDiff:
    path: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "before": redact(self.before), "after": redact(self.after)}


@dataclass(frozen=True)
class StoreCopy:
    """One old store whose objects go to one new store; ``objects``/``bytes`` as listed at
    plan time (None: the source could not be listed)."""

    source: ResourceKey
    target: ResourceKey
    objects: int | None = None
    bytes: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "target": str(self.target),
            "objects": self.objects,
            "bytes": self.bytes,
        }


@dataclass(frozen=True)
class Migration:
    """What a ``migrate`` change moves (docs/migration.md)."""

    composition: str  # the Composition the claim moves to
    new: tuple[ResourceKey, ...]  # the claim's resources in that Composition
    old: tuple[ResourceKey, ...]  # its resources left from before: deleted once the copy is verified
    copies: tuple[StoreCopy, ...] = ()

    @property
    def objects(self) -> int | None:
        counts = [c.objects for c in self.copies]
        return None if any(n is None for n in counts) else sum(n or 0 for n in counts)

    @property
    def bytes(self) -> int | None:
        sizes = [c.bytes for c in self.copies]
        return None if any(n is None for n in sizes) else sum(n or 0 for n in sizes)

    def to_json(self) -> dict[str, Any]:
        return {
            "objects": self.objects,
            "bytes": self.bytes,
            "migration": {
                "composition": self.composition,
                "create": [str(k) for k in self.new],
                "delete": [str(k) for k in self.old],
                "copies": [c.to_json() for c in self.copies],
            },
        }


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
    claim: ClaimRef | None = None  # deletes and migrations: the claim (from the inventory)
    migration: Migration | None = None  # migrate only

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
            **(self.migration.to_json() if self.migration is not None else {}),
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
        for extra in ("record", "migrate"):  # only when present: the five above are the contract
            if counts[extra]:
                out[extra] = counts[extra]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": [c.to_json() for c in self.changes],
            "summary": self.summary(),
            "diagnostics": [d.to_json() for d in self.diagnostics],
            **({"cost": dict(self.cost)} if self.cost is not None else {}),
        }
