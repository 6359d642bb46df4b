"""Which Composition expands a claim: named, selected by labels, the default, or the only one."""

from __future__ import annotations

from kedge.compositions.platform import Composition, Definition, Platform
from kedge.manifests import ClaimDocument
from kedge.manifests.problems import Problem

COMPOSITION = "kedge.dev/composition"
SELECTOR = "kedge.dev/composition-selector"


def choose(platform: Platform, definition: Definition, claim: ClaimDocument) -> Composition | Problem:
    kind = definition.kind
    candidates = platform.compositions_for(kind)
    listed = ", ".join(_describe(c) for c in candidates) or "none"
    named = claim.annotations.get(COMPOSITION)
    if named:
        found = platform.compositions.get(named)
        if found is None or found.definition != kind:
            return Problem(
                f"no Composition {named!r} for {kind} (available: {listed})",
                ("metadata", "annotations", COMPOSITION),
            )
        return found
    selector = claim.annotations.get(SELECTOR)
    if selector:
        wanted = dict((k.strip(), v.strip()) for k, _, v in (i.partition("=") for i in selector.split(",")))
        matches = [c for c in candidates if all(c.labels.get(k) == v for k, v in wanted.items())]
        if len(matches) == 1:
            return matches[0]
        path = ("metadata", "annotations", SELECTOR)
        if not matches:
            return Problem(
                f"selector {selector!r} matches no Composition of {kind} (available: {listed})", path
            )
        names = ", ".join(c.name for c in matches)
        return Problem(
            f"selector {selector!r} matches several Compositions of {kind} ({names}); narrow it or name "
            f"one with {COMPOSITION}",
            path,
        )
    if definition.default_composition:
        default = platform.compositions.get(definition.default_composition)
        if default is not None:
            return default
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return Problem(f"no Composition is declared for {kind}; the platform team must add one", ("kind",))
    return Problem(
        f"several Compositions for {kind} ({listed}) and no way to choose: set {COMPOSITION} or "
        f"{SELECTOR} on the claim, or defaultComposition on the Definition",
        ("kind",),
    )


def _describe(composition: Composition) -> str:
    labels = ",".join(f"{k}={v}" for k, v in sorted(composition.labels.items()))
    return f"{composition.name} ({labels})" if labels else composition.name
