"""Helpers for AWS provider tests: build targets, apply like the engine does, diff like it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedge.model import Observation, ResourceKey
from kedge.providers.aws import provider
from kedge.providers.aws.kinds.base import with_defaults
from kedge.providers.base import Applied, FieldChange, Target

API = "aws.kedge.dev/v1"


def target(
    kind: str,
    name: str,
    spec: Mapping[str, Any],
    outputs: Mapping[str, Any] | None = None,
    external_name: str | None = None,
    **annotations: str,
) -> Target:
    notes = {f"kedge.dev/{k.replace('_', '-')}": v for k, v in annotations.items()}
    if external_name:
        notes["kedge.dev/external-name"] = external_name
    return Target(ResourceKey(API, kind, name), external_name or name, dict(spec), dict(outputs or {}), notes)


def filled(t: Target) -> dict[str, Any]:
    return with_defaults(provider.kinds[t.key.kind].schema, dict(t.spec))


def diff(t: Target, observed: Observation) -> list[FieldChange]:
    """The engine's diff: desired (defaults filled) against observed state, top-level fields."""
    desired = filled(t)
    return [
        FieldChange(k, observed.state.get(k), v) for k, v in desired.items() if observed.state.get(k) != v
    ]


def observe(client: Any, t: Target) -> Observation:
    return client.observe_many(t.key.kind, [t])[t.key]


def with_outputs(t: Target, applied: Applied) -> Target:
    return Target(t.key, t.external_id, t.spec, dict(applied.outputs), t.annotations)


def converge(client: Any, t: Target) -> tuple[Target, Observation]:
    """Observe, then create or update as the engine would; return the target with outputs and
    the observation made afterwards."""
    observed = observe(client, t)
    if not observed.exists:
        t = with_outputs(t, client.create(t))
    else:
        changes = diff(t, observed)
        if changes or observed.owner is None:
            t = with_outputs(t, client.update(t, observed, changes))
        else:
            t = with_outputs(t, Applied(observed.outputs))
    return t, observe(client, t)
