"""What a provider is asked for: desired resources with their references resolved, as targets.

``resolve`` is the one place a ``fromResource`` reference becomes a value. Observe uses it
layer by layer (outputs of a VPC resolve its Subnet before the Subnet is observed), the plan
shows its result, and apply sends that same result; apply resolves again only for a resource
that refers to one whose outputs the apply itself produced (a VPC created a moment before).

Not for deciding anything: which references exist and in what order resources are handled is
the graph's business (``kedge.manifests``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from kedge.manifests import resolve_references
from kedge.model import InventoryEntry, Resource, ResourceKey
from kedge.model.values import references
from kedge.providers.base import Target

Outputs = Mapping[tuple[str, str], Mapping[str, Any]]  # (kind, name) -> outputs of that resource


def known_outputs(inventory: Iterable[InventoryEntry]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """The outputs the state store remembers, before anything is observed."""
    return {(e.key.kind, e.key.name): e.outputs for e in inventory if e.outputs}


def referenced(r: Resource) -> set[tuple[str, str]]:
    """(kind, name) of every resource ``r`` reads an output of (``r`` as rendered)."""
    return {(ref.kind, ref.name) for ref in references(r.spec)}


def resolve(r: Resource, *outputs: Outputs) -> Resource:
    """``r`` (as rendered) with each reference replaced by the output it names, or by
    ``UNKNOWN`` while that output is not known yet; where several ``outputs`` know a resource,
    the last wins. ``r`` itself when it has no reference."""
    needed = referenced(r)
    if not needed:
        return r
    found: dict[ResourceKey | tuple[str, str], Mapping[str, Any]] = {
        k: layer[k] for layer in outputs for k in needed if k in layer
    }
    return dataclasses.replace(r, spec=resolve_references(r.spec, found))


def target(r: Resource, inventory: Mapping[ResourceKey, InventoryEntry]) -> Target:
    """The provider's view of ``r`` (already resolved): its spec as is, with the outputs the
    inventory remembers for this very object."""
    entry = inventory.get(r.key)
    known = entry.outputs if entry is not None and entry.identity == r.identity() else {}
    return Target(r.key, r.identity().external_id, r.spec, known, r.annotations)


def entry_target(e: InventoryEntry) -> Target:
    """The provider's view of an object known only from the inventory (a resource to prune)."""
    return Target(e.key, e.identity.external_id, e.spec, e.outputs, e.annotations)
