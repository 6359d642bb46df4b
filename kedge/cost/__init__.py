"""Cost: the offline price catalog and the estimators (pure data and functions, no I/O).

Reading the catalog file stays with the engine; this package parses what it is given
(``parse_catalog``) and prices resources (``estimate_resources``). See docs/cost.md.
"""

from kedge.cost.catalog import HOURS_PER_MONTH, Catalog, CatalogError, Price, parse_catalog
from kedge.cost.estimate import Estimate, ResourceCost, UnpricedResource, check_usage, estimate_resources
from kedge.cost.estimators import KINDS, KindPricing, pricing_for
from kedge.cost.meter import Component

__all__ = [
    "HOURS_PER_MONTH",
    "KINDS",
    "Catalog",
    "CatalogError",
    "Component",
    "Estimate",
    "KindPricing",
    "Price",
    "ResourceCost",
    "UnpricedResource",
    "check_usage",
    "estimate_resources",
    "parse_catalog",
    "pricing_for",
]
