"""Monthly cost of a list of resources, from the catalog: priced resources and unpriced ones.

    estimate = estimate_resources(resources, catalog, region_of)
    estimate.total, estimate.to_json()          # DESIGN §6.3 shape of ``kedge cost -o json``

This is the one entry point: an app's cost, a plan's before and after, a claim's cost and an
orphan's cost all come from it. A claim costs the sum of its composed resources: ``claims``
lists each claim with that sum and its resources (an unpriced one with ``monthly`` null).
A usage annotation with a key the kind does not take is a diagnostic at the resource's file
and line (with the nearest known key); a kind or region the catalog
lacks is not an error, the resource is listed as unpriced with the reason.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kedge.cost.catalog import Catalog
from kedge.cost.estimators import KindPricing, pricing_for
from kedge.cost.meter import Component, Item, Meter, Unpriced
from kedge.manifests.metadata import parse_usage
from kedge.model import ClaimRef, Diagnostic, Resource, ResourceKey

USAGE_ANNOTATION = "kedge.dev/usage"

RegionOf = Callable[[Resource], str | None]


@dataclass(frozen=True)
class ResourceCost:
    key: ResourceKey
    monthly: float
    components: tuple[Component, ...] = ()
    claim: ClaimRef | None = None  # the claim that composed it

    def to_json(self) -> dict[str, Any]:
        return {
            "apiVersion": self.key.api_version,
            "kind": self.key.kind,
            "name": self.key.name,
            "monthly": round(self.monthly, 6),
            "components": [c.to_json() for c in self.components],
            **({"claim": self.claim.to_json()} if self.claim is not None else {}),
        }


@dataclass
class ClaimCost:
    """A claim's monthly cost: the sum of what its composed resources cost."""

    claim: ClaimRef
    resources: list[tuple[ResourceKey, float | None]] = field(default_factory=list)  # None: unpriced

    @property
    def monthly(self) -> float:
        return float(sum(m for _, m in self.resources if m is not None))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.claim.kind,
            "name": self.claim.name,
            "monthly": round(self.monthly, 6),
            "resources": [
                {
                    "apiVersion": key.api_version,
                    "kind": key.kind,
                    "name": key.name,
                    "monthly": None if monthly is None else round(monthly, 6),
                }
                for key, monthly in self.resources
            ],
        }


@dataclass(frozen=True)
class UnpricedResource:
    key: ResourceKey
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.key.kind, "name": self.key.name, "reason": self.reason}


@dataclass
class Estimate:
    currency: str
    resources: list[ResourceCost] = field(default_factory=list)
    unpriced: list[UnpricedResource] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    claims: list[ClaimCost] = field(default_factory=list)  # in the order claims first compose
    _by_claim: dict[ClaimRef, ClaimCost] = field(default_factory=dict, repr=False)

    @property
    def total(self) -> float:
        return float(sum(r.monthly for r in self.resources))  # 0.0, never 0: a double in CEL too

    def to_json(self) -> dict[str, Any]:
        """DESIGN §6.3's shape; an app with claims also has ``claims`` (absent otherwise)."""
        return {
            "currency": self.currency,
            "total": round(self.total, 6),
            "resources": [r.to_json() for r in self.resources],
            "unpriced": [u.to_json() for u in self.unpriced],
            **({"claims": [c.to_json() for c in self.claims]} if self.claims else {}),
        }

    def count_claim(self, resource: Resource, monthly: float | None) -> None:
        """Add ``resource`` (priced ``monthly``, None: unpriced) to its claim's sum, if it has one."""
        claim = resource.claim
        if claim is None:
            return
        found = self._by_claim.get(claim)
        if found is None:
            found = self._by_claim[claim] = ClaimCost(claim)
            self.claims.append(found)
        found.resources.append((resource.key, monthly))


def estimate_resources(
    resources: Iterable[Resource], catalog: Catalog, region_of: RegionOf, *, claims: bool = True
) -> Estimate:
    """Price each resource; memoised by (kind, spec, usage, region), so many alike cost little.
    ``claims``: also sum each claim's resources (a plan's before and after need only totals)."""
    out = Estimate(catalog.currency)
    memo: dict[Any, tuple[tuple[Component, ...], float, str | None]] = {}
    usages: dict[tuple[str, str, str], dict[str, float]] = {}
    for resource in resources:
        key = resource.key
        pricing = pricing_for(key.api_version, key.kind)
        if pricing is None:
            lacks = f"the price catalog has no prices for {key.api_version} {key.kind}"
            out.unpriced.append(UnpricedResource(key, lacks))
            if claims:
                out.count_claim(resource, None)
            continue
        text = resource.annotations.get(USAGE_ANNOTATION, "")
        usage_key = (key.api_version, key.kind, text)
        usage = usages.get(usage_key)
        if usage is None:  # parsed once per text; a bad one is reported at each resource
            usage = _usage(resource, pricing, out.diagnostics)
            if usage is None:
                continue
            usages[usage_key] = usage
        region = region_of(resource)
        memo_key = (key.api_version, key.kind, _spec_key(resource.spec), text, region)
        found = memo.get(memo_key)
        if found is None:
            item = Item(resource.spec, usage, pricing.defaults, region)
            components, reason = _price(pricing, item, catalog, region)
            found = memo[memo_key] = (components, float(sum(c.monthly for c in components)), reason)
        components, monthly, reason = found
        if reason is not None:
            out.unpriced.append(UnpricedResource(key, reason))
            if claims:
                out.count_claim(resource, None)
        elif not claims:
            out.resources.append(ResourceCost(key, monthly, components))
        else:
            out.resources.append(ResourceCost(key, monthly, components, resource.claim))
            out.count_claim(resource, monthly)
    return out


def _spec_key(spec: Any) -> str:
    """A cheap, exact stand-in for a spec's value: equal specs written alike share it."""
    try:
        return repr(spec)
    except Exception:  # a value without a usable repr is priced on its own
        return str(id(spec))


def check_usage(resources: Iterable[Resource]) -> list[Diagnostic]:
    """Every usage annotation problem (unknown key, bad number), before anything is observed."""
    problems: list[Diagnostic] = []
    for resource in resources:
        if USAGE_ANNOTATION in resource.annotations:
            pricing = pricing_for(resource.key.api_version, resource.key.kind)
            if pricing is not None:
                _usage(resource, pricing, problems)
    return problems


def _price(
    pricing: KindPricing, item: Item, catalog: Catalog, region: str | None
) -> tuple[tuple[Component, ...], str | None]:
    if pricing.estimate is None:
        return (), None
    meter = Meter(catalog, region)
    try:
        pricing.estimate(item, meter)
    except Unpriced as why:
        return (), str(why)
    return tuple(meter.components), None


def _usage(resource: Resource, pricing: KindPricing, problems: list[Diagnostic]) -> dict[str, float] | None:
    text = resource.annotations.get(USAGE_ANNOTATION)
    if not text:
        return {}
    path = f"metadata.annotations.{USAGE_ANNOTATION}"
    usage, error = parse_usage(text)
    if error is not None:
        problems.append(Diagnostic.error(error, file=resource.file, line=resource.line, path=path))
        return None
    unknown = [k for k in usage if k not in pricing.usage]
    for key in unknown:
        known = sorted(pricing.usage)
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        takes = (
            f"{resource.key.kind} takes {', '.join(known)}" if known else f"{resource.key.kind} takes none"
        )
        problems.append(
            Diagnostic.error(
                f"unknown usage key {key!r}{hint} ({takes})",
                file=resource.file,
                line=resource.line,
                path=path,
            )
        )
    return None if unknown else usage
