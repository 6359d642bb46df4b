"""Monthly cost of a list of resources, from the catalog: priced resources and unpriced ones.

    estimate = estimate_resources(resources, catalog, region_of)
    estimate.total, estimate.to_json()          # DESIGN §6.3 shape of ``kedge cost -o json``

This is the one entry point: an app's cost, a plan's before and after, a claim's cost (the
sum over its composed resources: ``estimate_resources(composed, ...).total``) and an orphan's
cost all come from it. A usage annotation with a key the kind does not take is a diagnostic
at the resource's file and line (with the nearest known key); a kind or region the catalog
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
from kedge.model import Diagnostic, Resource, ResourceKey

USAGE_ANNOTATION = "kedge.dev/usage"

RegionOf = Callable[[Resource], str | None]


@dataclass(frozen=True)
class ResourceCost:
    key: ResourceKey
    monthly: float
    components: tuple[Component, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "apiVersion": self.key.api_version,
            "kind": self.key.kind,
            "name": self.key.name,
            "monthly": round(self.monthly, 6),
            "components": [c.to_json() for c in self.components],
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

    @property
    def total(self) -> float:
        return sum(r.monthly for r in self.resources)

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "total": round(self.total, 6),
            "resources": [r.to_json() for r in self.resources],
            "unpriced": [u.to_json() for u in self.unpriced],
        }


def estimate_resources(resources: Iterable[Resource], catalog: Catalog, region_of: RegionOf) -> Estimate:
    """Price each resource; memoised by (kind, spec, usage, region), so many alike cost little."""
    out = Estimate(catalog.currency)
    memo: dict[Any, tuple[tuple[Component, ...], str | None]] = {}
    for resource in resources:
        pricing = pricing_for(resource.key.api_version, resource.key.kind)
        if pricing is None:
            lacks = f"the price catalog has no prices for {resource.key.api_version} {resource.key.kind}"
            out.unpriced.append(UnpricedResource(resource.key, lacks))
            continue
        usage = _usage(resource, pricing, out.diagnostics)
        if usage is None:
            continue
        region = region_of(resource)
        memo_key = (
            resource.key.api_version,
            resource.key.kind,
            _frozen(resource.spec),
            _frozen(usage),
            region,
        )
        found = memo.get(memo_key)
        if found is None:
            found = _price(pricing, Item(resource.spec, usage, pricing.defaults, region), catalog, region)
            memo[memo_key] = found
        components, reason = found
        if reason is not None:
            out.unpriced.append(UnpricedResource(resource.key, reason))
        else:
            out.resources.append(ResourceCost(resource.key, sum(c.monthly for c in components), components))
    return out


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


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if hasattr(value, "items"):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
