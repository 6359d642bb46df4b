"""Cost in the engine: read the price catalog, find each resource's region, price plans.

    catalog = load_catalog(None)                      # the catalog shipped with Kedge
    estimate = estimate_app(rendered, catalog)        # what ``kedge cost`` prints
    cost, problems = plan_cost(changes, inventory, rendered, catalog)   # plan.cost

The pricing itself is ``kedge.cost`` (pure); reading files and the environment is here.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources as package_files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kedge.cost import (
    Catalog,
    CatalogError,
    Estimate,
    check_usage,
    estimate_resources,
    parse_catalog,
    pricing_for,
)
from kedge.cost.estimate import RegionOf
from kedge.engine.render import BoundConfig, Rendered
from kedge.model import InventoryEntry, Resource
from kedge.planning import Change

if TYPE_CHECKING:
    from kedge.engine.engine import Engine

DEFAULT_AZURE_LOCATION = "eastus"
MAX_CATALOG_BYTES = 64 * 1024 * 1024


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The catalog at ``path``, or the one shipped with Kedge; a CatalogError says what is wrong."""
    if path is None:
        return _shipped()
    file = Path(path)
    try:
        if file.stat().st_size > MAX_CATALOG_BYTES:
            raise CatalogError(f"{file}: the price catalog is larger than {MAX_CATALOG_BYTES >> 20} MiB")
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(f"{file}: no such price catalog file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise CatalogError(f"{file}: cannot read the price catalog: {err}") from None
    return _parse(text, str(file))


@lru_cache(maxsize=1)
def _shipped() -> Catalog:
    text = package_files.files("kedge.cost").joinpath("data/prices.json").read_text(encoding="utf-8")
    return _parse(text, "kedge/cost/data/prices.json")


def _parse(text: str, source: str) -> Catalog:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise CatalogError(
            f"{source}:{err.lineno}: the price catalog is not valid JSON: {err.msg} (column {err.colno})"
        ) from None
    return parse_catalog(document, source)


def region_of(configs: Mapping[str, BoundConfig], env: Mapping[str, str] | None = None) -> RegionOf:
    """Where a resource's prices come from: its own region, else its ProviderConfig's."""
    environ = os.environ if env is None else env

    def region(resource: Resource) -> str | None:
        config = configs.get(resource.provider_config)
        settings: Mapping[str, Any] = config.settings if config is not None else {}
        provider = config.provider if config is not None else resource.key.provider
        if provider == "aws":
            found = settings.get("region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
            return found if isinstance(found, str) and found else None
        if provider == "azure":
            found = settings.get("location")
            return found if isinstance(found, str) and found else DEFAULT_AZURE_LOCATION
        return None

    return region


def estimate_app(rendered: Rendered, catalog: Catalog, env: Mapping[str, str] | None = None) -> Estimate:
    return estimate_resources(rendered.resources, catalog, region_of(rendered.configs, env))


def app_cost(engine: Engine, app: str, path: Path) -> dict[str, Any]:
    """``kedge cost`` JSON for an app directory, with ``diagnostics`` when it cannot be priced."""
    rendered = engine.render(app, path).rendered
    problems = (
        [*rendered.diagnostics, *check_usage(rendered.resources)] if rendered.ok else rendered.diagnostics
    )
    if any(d.is_error for d in problems):
        report = Estimate(engine.catalog.currency).to_json()
    else:
        report = estimate_app(rendered, engine.catalog).to_json()
    return {**report, "diagnostics": [d.to_json() for d in problems if d.is_error]}


def plan_cost(
    changes: Sequence[Change],
    inventory: Sequence[InventoryEntry],
    rendered: Rendered,
    catalog: Catalog,
) -> dict[str, Any]:
    """Monthly cost before (what exists now, as observed) and after the plan.

    A resource counts before when it exists (``change.before``), priced from its observed
    state; after when the plan leaves it in place or creates it, priced from its desired spec.
    Usage comes from the manifest (or, for a delete, the annotations it was applied with).
    """
    entries = {e.key: e for e in inventory}
    before: list[Resource] = []
    after: list[Resource] = []
    for change in changes:
        if pricing_for(change.key.api_version, change.key.kind) is None:
            continue  # adds nothing to either total: not copied (10,000 local files cost 0.1 s)
        base = change.resource or _from_entry(entries.get(change.key))
        if base is None:
            continue
        if change.before is not None:
            before.append(dataclasses.replace(base, spec=change.before))
        if change.after is not None and change.resource is not None:
            after.append(dataclasses.replace(change.resource, spec=change.after))
    region = region_of(rendered.configs)
    was = estimate_resources(before, catalog, region, claims=False)
    will = estimate_resources(after, catalog, region, claims=False)
    return {"before": round(was.total, 6), "after": round(will.total, 6), "currency": catalog.currency}


def _from_entry(entry: InventoryEntry | None) -> Resource | None:
    if entry is None:
        return None
    return Resource(entry.key, entry.spec, entry.spec, entry.labels, entry.annotations)
