"""The price catalog: public list prices in the model of AWS's price list offer files.

    catalog = parse_catalog(json.loads(text), source="prices.json")   # or a CatalogError
    price = catalog.price("s3.storage", "us-east-1")                 # None when not listed
    price.monthly(120_000)                                            # tiered: each tier at its rate

A catalog document (JSON) is::

    {"formatVersion": "kedge.dev/price-catalog/v1", "currency": "USD",
     "offers": {"AmazonS3": {"offerCode", "publicationDate", "source",
                             "products": {SKU: {"sku", "productFamily", "attributes": {...}}},
                             "terms": {"OnDemand": {SKU: {TERM: {"priceDimensions": {
                                 ID: {"unit", "beginRange", "endRange", "pricePerUnit": {"USD": "0.023"},
                                      "description"}}}}}}}}}

which is AWS's own offer-file shape (``products`` plus ``terms.OnDemand``), so a price reads
the same here as in the public file it came from. Azure and Google prices are written in the
same shape by ``scripts/price_catalog.py``. Two product attributes are Kedge's own:
``kedge:price`` names what the estimators ask for (``s3.storage``, ``ec2.instance``) and
``kedge:variant`` tells products of one price apart (an instance type, a volume type); the
region is the attribute ``regionCode`` (``global`` for global services).

This module does no I/O: the engine reads the file and hands its parsed JSON here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kedge.model import ConfigError, Diagnostic

FORMAT = "kedge.dev/price-catalog/v1"
Report = Callable[[str, str], None]  # (field path, message): one problem of the file
HOURS_PER_MONTH = 730.0  # AWS's own convention: 24 * 365 / 12, rounded


class CatalogError(ConfigError):
    """The catalog file is missing a field or holds a value that is not a price."""


@dataclass(frozen=True)
class Tier:
    begin: float
    end: float  # math.inf for the last tier
    rate: float  # currency per unit


@dataclass(frozen=True)
class Price:
    """One product's on-demand price: its unit and tiers, and where it came from."""

    price_id: str
    region: str
    variant: str
    unit: str
    tiers: tuple[Tier, ...]
    sku: str
    offer: str
    description: str = ""

    def split(self, quantity: float) -> list[tuple[Tier, float]]:
        """How ``quantity`` falls into the tiers: (tier, quantity in it), empty tiers left out."""
        out: list[tuple[Tier, float]] = []
        for tier in self.tiers:
            if quantity <= tier.begin:
                break
            used = min(quantity, tier.end) - tier.begin
            if used > 0:
                out.append((tier, used))
        return out

    def monthly(self, quantity: float) -> float:
        return sum(tier.rate * used for tier, used in self.split(quantity))


@dataclass(frozen=True)
class Offer:
    code: str
    publication_date: str
    source: str


@dataclass
class Catalog:
    currency: str
    offers: dict[str, Offer]
    prices: dict[tuple[str, str, str], Price] = field(default_factory=dict)
    regions: dict[str, set[str]] = field(default_factory=dict)  # price id -> regions listed

    def price(self, price_id: str, region: str, variant: str = "") -> Price | None:
        return self.prices.get((price_id, region, variant))

    def lists(self, price_id: str) -> bool:
        return price_id in self.regions

    def variants(self, price_id: str, region: str) -> list[str]:
        return sorted(v for (p, r, v) in self.prices if p == price_id and r == region)


def parse_catalog(document: Any, source: str) -> Catalog:
    """A catalog from a parsed JSON document; a CatalogError naming ``source`` and the field."""
    problems: list[Diagnostic] = []

    def bad(path: str, message: str) -> None:
        problems.append(Diagnostic.error(message, file=source, path=path))

    if not isinstance(document, Mapping):
        raise CatalogError(f"{source}: a price catalog is a JSON object (see docs/cost.md)")
    if document.get("formatVersion") != FORMAT:
        bad("formatVersion", f"must be {FORMAT!r}")
    currency = document.get("currency")
    if not isinstance(currency, str) or not currency:
        bad("currency", "must name the currency of every price, e.g. 'USD'")
        currency = "USD"
    offers = document.get("offers")
    catalog = Catalog(currency, {})
    if not isinstance(offers, Mapping) or not offers:
        bad("offers", "must be a non-empty object of offers")
    else:
        for code, offer in offers.items():
            _read_offer(catalog, str(code), offer, bad)
    if problems:
        first = problems[0]
        raise CatalogError(
            f"{source}: not a valid price catalog: {first.path}: {first.message}"
            + (f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""),
            problems,
        )
    return catalog


def _read_offer(catalog: Catalog, code: str, offer: Any, bad: Report) -> None:
    where = f"offers.{code}"
    if not isinstance(offer, Mapping):
        bad(where, "must be an object")
        return
    for name in ("publicationDate", "source"):
        if not isinstance(offer.get(name), str) or not offer[name]:
            bad(f"{where}.{name}", "is required: where and when the prices were published")
    catalog.offers[code] = Offer(code, str(offer.get("publicationDate", "")), str(offer.get("source", "")))
    products = offer.get("products")
    terms = (offer.get("terms") or {}).get("OnDemand") if isinstance(offer.get("terms"), Mapping) else None
    if not isinstance(products, Mapping) or not isinstance(terms, Mapping):
        bad(where, "needs 'products' and 'terms.OnDemand'")
        return
    for sku, product in products.items():
        attributes = product.get("attributes") if isinstance(product, Mapping) else None
        if not isinstance(attributes, Mapping):
            bad(f"{where}.products.{sku}", "needs 'attributes'")
            continue
        price_id = attributes.get("kedge:price")
        if not isinstance(price_id, str):
            continue  # a product no estimator asks for
        dims = _dimensions(terms.get(sku), f"{where}.terms.OnDemand.{sku}", catalog.currency, bad)
        if dims is None:
            continue
        unit, tiers, description = dims
        region = str(attributes.get("regionCode") or "global")
        variant = str(attributes.get("kedge:variant") or "")
        catalog.prices[(price_id, region, variant)] = Price(
            price_id, region, variant, unit, tiers, str(sku), code, description
        )
        catalog.regions.setdefault(price_id, set()).add(region)


def _dimensions(
    terms: Any, where: str, currency: str, bad: Report
) -> tuple[str, tuple[Tier, ...], str] | None:
    if not isinstance(terms, Mapping) or len(terms) != 1:
        bad(where, "needs exactly one on-demand term")
        return None
    term = next(iter(terms.values()))
    dims = term.get("priceDimensions") if isinstance(term, Mapping) else None
    if not isinstance(dims, Mapping) or not dims:
        bad(where, "needs priceDimensions")
        return None
    tiers: list[Tier] = []
    units: set[str] = set()
    description = ""
    for dim_id, dim in dims.items():
        path = f"{where}.priceDimensions.{dim_id}"
        if not isinstance(dim, Mapping):
            bad(path, "must be an object")
            return None
        begin = _number(dim.get("beginRange", "0"))
        end = math.inf if dim.get("endRange", "Inf") == "Inf" else _number(dim.get("endRange"))
        per_unit = dim.get("pricePerUnit")
        rate = _number(per_unit.get(currency)) if isinstance(per_unit, Mapping) else None
        if begin is None or end is None or end <= begin:
            bad(path, "beginRange and endRange must be numbers with beginRange < endRange (or 'Inf')")
            return None
        if rate is None or rate < 0:
            bad(f"{path}.pricePerUnit", f"needs a non-negative {currency} price as a decimal string")
            return None
        if not isinstance(dim.get("unit"), str):
            bad(f"{path}.unit", "is required")
            return None
        units.add(dim["unit"])
        description = description or str(dim.get("description", ""))
        tiers.append(Tier(begin, end, rate))
    tiers.sort(key=lambda t: t.begin)
    if len(units) != 1 or not _contiguous(tiers):
        bad(where, "tiers must share one unit and follow each other from 0 without gaps")
        return None
    return units.pop(), tuple(tiers), description


def _contiguous(tiers: Sequence[Tier]) -> bool:
    return tiers[0].begin == 0 and all(a.end == b.begin for a, b in itertools.pairwise(tiers))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
