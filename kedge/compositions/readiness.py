"""Is a claim ready? Its Composition's ``readyWhen`` expressions over what its resources are now.

    seen = {("S3Bucket", "invoices-data"): Seen(True, state, outputs)}
    ready = claim_readiness(expander, claims, core, seen.get)   # (claim kind, name) -> Readiness

A composed resource is ready when it exists and its ``readyWhen`` (if it has one) gives true.
The expressions see ``claim`` (as templates see it) and, by id, each composed resource as it is
now: ``apiVersion``, ``kind``, ``metadata`` as composed, ``spec`` as observed (the provider's
state), ``outputs`` as observed. A claim is ready when every resource it composed is; otherwise
``waiting`` names each resource that holds it back, its expression and why (it does not exist
yet, the expression gave false, or it failed with the error). The expressions are the ones the
Composition compiled when the platform was built; nothing is compiled per claim.

Pure: what was observed comes in as ``Seen`` values; providers are the engine's business.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kedge.compositions.expand import ClaimExpander
from kedge.compositions.platform import PLATFORM_KINDS
from kedge.manifests import ClaimDocument, CoreDocument

if TYPE_CHECKING:
    from kedge.cel import Expression


@dataclass(frozen=True)
class Seen:
    """A composed resource as observed: whether it exists, its state and its outputs."""

    exists: bool
    state: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Waiting:
    """A composed resource that keeps its claim from being ready, and why."""

    resource: str  # Kind/name
    id: str  # the template's id in the Composition
    ready_when: str  # the expression, "" when the template has none
    reason: str

    def __str__(self) -> str:
        expression = f" readyWhen `{self.ready_when}`" if self.ready_when else ""
        return f"{self.resource} ({self.id}):{expression} {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.resource, "id": self.id, "readyWhen": self.ready_when, "reason": self.reason}


@dataclass(frozen=True)
class Readiness:
    ready: bool
    waiting: tuple[Waiting, ...] = ()

    @property
    def message(self) -> str:
        if self.ready:
            return "ready"
        return "not ready: " + "; ".join(str(w) for w in self.waiting)

    def to_json(self) -> dict[str, Any]:
        return {"ready": self.ready, "waiting": [w.to_json() for w in self.waiting]}


Observed = Callable[[str, str], Seen | None]  # (kind, name) of a composed resource -> what is there


def claim_readiness(
    expander: ClaimExpander,
    claims: Sequence[ClaimDocument],
    core: Sequence[CoreDocument],
    observed: Observed,
) -> dict[tuple[str, str], Readiness]:
    """Each claim that composes without error, by (kind, name): ready, or what it waits for."""
    declared = [d for d in core if d.kind in PLATFORM_KINDS] if expander.allow_declared else []
    platform, _ = expander.platform(declared)
    out: dict[tuple[str, str], Readiness] = {}
    for claim in claims:
        expansion = expander.expanded(platform, claim)  # its errors were reported when rendered
        if expansion is None or not expansion.composed:
            continue
        checks = {t.id: t.ready_when for t in expansion.composition.resources}
        documents: dict[str, Any] = {"claim": expansion.claim}
        found: dict[str, Seen | None] = {}
        for resource_id, body in expansion.composed:
            seen = found[resource_id] = observed(str(body["kind"]), str(body["metadata"]["name"]))
            documents[resource_id] = {
                "apiVersion": body["apiVersion"],
                "kind": body["kind"],
                "metadata": body["metadata"],
                "spec": dict(seen.state) if seen is not None and seen.exists else {},
                "outputs": dict(seen.outputs) if seen is not None and seen.exists else {},
            }
        waiting: list[Waiting] = []
        for resource_id, body in expansion.composed:
            name = f"{body['kind']}/{body['metadata']['name']}"
            check = checks.get(resource_id)
            text = check.text if check is not None else ""
            seen = found[resource_id]
            if seen is None or not seen.exists:
                waiting.append(Waiting(name, resource_id, text, "does not exist yet"))
                continue
            if check is not None:
                reason = _holds_back(expander, check, documents)
                if reason is not None:
                    waiting.append(Waiting(name, resource_id, text, reason))
        out[(claim.kind, claim.name)] = Readiness(not waiting, tuple(waiting))
    return out


def _holds_back(expander: ClaimExpander, check: Expression, documents: dict[str, Any]) -> str | None:
    """None when ``check`` gives true; otherwise why the resource is not ready."""
    from kedge.cel import Bindings, read_path

    if check.path is not None:
        result = read_path(documents, check.path)
    else:
        result = expander.evaluate(check, Bindings(documents))
    if result.stopped:
        return "was stopped: it ran past its time limit"
    if result.error is not None:
        return f"has no answer yet: {result.error}"
    if result.value is True:
        return None
    if result.value is False:
        return "is false"
    return f"must give true or false (it gave {result.value!r})"
