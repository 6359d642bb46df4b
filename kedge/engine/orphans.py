"""Orphans: what exists in each target that no app owns, with its monthly cost.

    report = find_orphans(configs, declared, store, catalog)
    report.to_json()    # {"orphans": [{"provider", "kind", "name", "monthly", "reason"}], ...}

Each ProviderConfig's client lists what exists of each kind it can list (one batched listing
per kind, see ``providers.base.Listable``). An object is owned when it carries Kedge's
ownership mark (an AWS tag, a PostgreSQL comment, a file attribute), when an app's inventory
in the state store lists it, or when the manifests being looked at declare it; everything
else is an orphan. Only reads. A listing that fails is reported under ``errors`` and its
kind is not judged: a failure never reads as "nothing there".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kedge.cost import Catalog, estimate_resources
from kedge.engine.cost import region_of
from kedge.engine.observe import Connections
from kedge.engine.render import BoundConfig
from kedge.model import Identity, KedgeError, Resource, ResourceKey
from kedge.providers.base import Existing
from kedge.store import Store

REASONS = {
    "aws": "no kedge.dev/app tag, and no app's inventory lists it",
    "postgres": "no Kedge COMMENT mark, and no app's inventory lists it",
    "local": "no app declares it",
    "azure": "no kedge_app metadata (tables carry none), and no app's inventory lists it",
    "gcp": "no kedge-app label, and no app's inventory lists it",
}


@dataclass(frozen=True)
class Orphan:
    provider: str
    provider_config: str
    kind: str
    name: str
    monthly: float | None  # None: the catalog cannot price it
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "providerConfig": self.provider_config,
            "kind": self.kind,
            "name": self.name,
            "monthly": None if self.monthly is None else round(self.monthly, 6),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ListingError:
    provider: str
    provider_config: str
    kind: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "providerConfig": self.provider_config,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass
class OrphanReport:
    currency: str
    orphans: list[Orphan] = field(default_factory=list)
    errors: list[ListingError] = field(default_factory=list)
    listed: int = 0  # objects looked at

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "total": round(sum(o.monthly or 0.0 for o in self.orphans), 6),
            "orphans": [o.to_json() for o in self.orphans],
            "errors": [e.to_json() for e in self.errors],
        }


def find_orphans(
    configs: Mapping[str, BoundConfig], declared: set[Identity], store: Store, catalog: Catalog
) -> OrphanReport:
    report = OrphanReport(catalog.currency)
    conns = Connections("kedge-orphans", configs)
    try:
        for name in sorted(configs):
            _list_config(conns, configs[name], declared, store, catalog, report)
    finally:
        conns.close()
    return report


def _list_config(
    conns: Connections,
    config: BoundConfig,
    declared: set[Identity],
    store: Store,
    catalog: Catalog,
    report: OrphanReport,
) -> None:
    try:
        client: Any = conns.client(config.name)
    except KedgeError as err:
        report.errors.append(ListingError(config.provider, config.name, None, str(err)))
        return
    if not hasattr(client, "list_existing"):
        return  # the provider cannot list what exists: nothing to judge
    for kind in client.listable_kinds():
        try:
            found: Sequence[Existing] = client.list_existing(kind)
        except KedgeError as err:
            report.errors.append(ListingError(config.provider, config.name, kind, str(err)))
            continue
        report.listed += len(found)
        unmarked = {
            Identity(config.provider, config.name, kind, e.external_id): e for e in found if not e.owner
        }
        owned = store.owners(set(unmarked) - declared)
        loose = [e for identity, e in unmarked.items() if identity not in declared and identity not in owned]
        _add(report, config, kind, loose, catalog, {config.name: config})


def _add(
    report: OrphanReport,
    config: BoundConfig,
    kind: str,
    loose: Sequence[Existing],
    catalog: Catalog,
    configs: Mapping[str, BoundConfig],
) -> None:
    api_version = f"{config.provider}.kedge.dev/v1"
    annotations = {"kedge.dev/provider-config": config.name}
    resources = [
        Resource(ResourceKey(api_version, kind, e.external_id), e.spec, annotations=annotations)
        for e in loose
    ]
    estimate = estimate_resources(resources, catalog, region_of(configs))
    prices = {r.key.name: r.monthly for r in estimate.resources}
    reason = REASONS.get(config.provider, "no ownership mark, and no app's inventory lists it")
    for e in loose:
        report.orphans.append(
            Orphan(config.provider, config.name, kind, e.external_id, prices.get(e.external_id), reason)
        )
