"""What an estimator works with: one resource's inputs, and a meter that prices quantities.

    def s3(item: Item, meter: Meter) -> None:
        meter.charge("Storage", "s3.storage", item.usage("storageGB"))

A quantity falls into the price's tiers; a charge spread over several tiers becomes one
component per tier ("Storage (first 51200 GB-Mo)", "Storage (next 460800 GB-Mo)"), so every
component reads ``quantity * price = monthly``, as on the provider's bill.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kedge.cost.catalog import Catalog, Price


@dataclass(frozen=True)
class Component:
    name: str
    unit: str
    quantity: float
    price: float  # currency per unit
    monthly: float

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "quantity": _tidy(self.quantity),
            "price": self.price,
            "monthly": round(self.monthly, 6),
        }


class Unpriced(Exception):
    """Raised by an estimator (or the meter) when a resource cannot be priced; says why."""


@dataclass(frozen=True)
class Item:
    """A resource's inputs to an estimator: its spec, usage annotation values and region."""

    spec: Mapping[str, Any]
    usage_values: Mapping[str, float]
    defaults: Mapping[str, float]
    region: str | None

    def usage(self, key: str) -> float:
        return self.usage_values.get(key, self.defaults.get(key, 0.0))

    def field(self, *path: str, default: Any = None) -> Any:
        value: Any = self.spec
        for name in path:
            if not isinstance(value, Mapping) or name not in value:
                return default
            value = value[name]
        return value


class Meter:
    """Collects the components of one resource's monthly cost from catalog prices."""

    def __init__(self, catalog: Catalog, region: str | None) -> None:
        self.catalog = catalog
        self.region = region
        self.components: list[Component] = []

    def lookup(self, price_id: str, variant: str = "", region: str | None = None) -> Price:
        where = region or self.region
        if where is None:
            raise Unpriced("no region: set the resource's region or the ProviderConfig's settings.region")
        price = self.catalog.price(price_id, where, variant)
        if price is not None:
            return price
        if not self.catalog.lists(price_id):
            raise Unpriced(f"the price catalog has no {price_id!r} prices")
        if variant:
            known = self.catalog.variants(price_id, where)
            if known:
                raise Unpriced(
                    f"the price catalog has no {price_id} price for {variant!r} in {where} "
                    f"(it lists {', '.join(known)})"
                )
        listed = ", ".join(sorted(self.catalog.regions[price_id]))
        raise Unpriced(f"the price catalog has no {price_id} prices for region {where!r} (it lists {listed})")

    def charge(
        self, name: str, price_id: str, quantity: float, variant: str = "", region: str | None = None
    ) -> None:
        """Add the monthly cost of ``quantity`` units (zero quantities are left out)."""
        if quantity <= 0:
            # Nothing to charge; still, a region the catalog lacks leaves the resource unpriced
            # (a zero would read as "free"). A price a smaller catalog omits is simply not used.
            if self.catalog.lists(price_id):
                self.lookup(price_id, variant, region)
            return
        price = self.lookup(price_id, variant, region)
        parts = price.split(quantity)
        if len(parts) == 1:
            tier, used = parts[0]
            self.components.append(Component(name, price.unit, used, tier.rate, tier.rate * used))
            return
        for tier, used in parts:
            label = (
                f"first {_tidy(tier.end)}"
                if tier.begin == 0
                else (
                    f"over {_tidy(tier.begin)}"
                    if math.isinf(tier.end)
                    else f"next {_tidy(tier.end - tier.begin)}"
                )
            )
            self.components.append(
                Component(f"{name} ({label} {price.unit})", price.unit, used, tier.rate, tier.rate * used)
            )


def _tidy(number: float) -> float | int:
    """Whole numbers print as integers (100, not 100.0)."""
    return int(number) if float(number).is_integer() and abs(number) < 2**53 else number
