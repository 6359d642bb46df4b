"""Observe: read the real world for every desired and every owned resource, batched.

One ``observe_many`` call per (ProviderConfig, kind) and dependency layer; groups run on a
bounded thread pool. Outputs of a layer (a VPC id) resolve the references of the next, so a
Subnet is compared with its VPC's real id. A provider error aborts the observation: it is
never read as "the resource is gone".
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kedge.engine.render import BoundConfig, Rendered
from kedge.engine.retry import RetryPolicy, call_with_retry
from kedge.manifests import resolve_references
from kedge.model import Identity, InventoryEntry, Observation, ProviderError, Resource, ResourceKey
from kedge.model.values import references
from kedge.providers import registry
from kedge.providers.base import Client, ConnectContext, Target


class Connections:
    """Provider clients of one app, connected lazily, closed together.

    Observe and apply ask for clients from pool threads: two kinds of one ProviderConfig in the
    same layer must share one client, so connecting happens under a lock (one per config, so a
    slow connect to one cloud does not hold up another).
    """

    def __init__(self, app: str, configs: Mapping[str, BoundConfig]) -> None:
        self.app = app
        self.configs = configs
        self._clients: dict[str, Client] = {}
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    def client(self, config_name: str) -> Client:
        client = self._clients.get(config_name)
        if client is not None:
            return client
        with self._guard:
            lock = self._locks[config_name]
        with lock:
            if config_name not in self._clients:
                config = self.configs[config_name]
                provider = registry.get(config.provider)
                self._clients[config_name] = provider.connect(
                    config.settings, ConnectContext(self.app, config_name)
                )
            return self._clients[config_name]

    def close(self) -> None:
        with self._guard:
            clients = list(self._clients.values())
        for client in clients:
            try:
                client.close()
            except Exception:  # noqa: S110 - closing is best effort
                pass
        self._clients.clear()


@dataclass
class Observed:
    by_identity: dict[Identity, Observation] = field(default_factory=dict)
    targets: dict[Identity, Target] = field(default_factory=dict)  # the target each was observed with
    outputs: dict[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)  # (kind, name) -> outputs


def known_outputs(inventory: Iterable[InventoryEntry]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(e.key.kind, e.key.name): e.outputs for e in inventory if e.outputs}


def target_for(
    r: Resource,
    outputs: Mapping[tuple[str, str], Mapping[str, Any]],
    inventory: Mapping[ResourceKey, InventoryEntry],
    may_refer: bool = True,
) -> Target:
    """The provider's view of ``r``: references resolved with the outputs known so far.

    ``may_refer`` False (a resource with no edge in the graph) skips looking for references.
    """
    entry = inventory.get(r.key)
    known = entry.outputs if entry is not None and entry.identity == r.identity() else {}
    needed = {(ref.kind, ref.name) for ref in references(r.spec)} if may_refer else set()
    spec = resolve_references(r.spec, {k: outputs[k] for k in needed if k in outputs}) if needed else r.spec
    return Target(r.key, r.identity().external_id, spec, known, r.annotations)


def target_for_entry(e: InventoryEntry) -> Target:
    return Target(e.key, e.identity.external_id, e.spec, e.outputs, e.annotations)


def observe(
    rendered: Rendered,
    inventory: Sequence[InventoryEntry],
    conns: Connections,
    pool: ThreadPoolExecutor,
    retry: RetryPolicy,
) -> Observed:
    result = Observed(outputs=known_outputs(inventory))
    by_key = {e.key: e for e in inventory}
    by_name = {r.key: r for r in rendered.resources}
    layers = rendered.graph.order if rendered.graph else [[r.key for r in rendered.resources]]
    deps = rendered.graph.deps if rendered.graph else None
    for layer in layers:
        targets = [
            (
                by_name[k].provider_config,
                by_name[k].key.kind,
                target_for(by_name[k], result.outputs, by_key, deps is None or bool(deps.get(k))),
            )
            for k in layer
        ]
        _observe_targets(targets, conns, pool, retry, result, {k: by_name[k].identity() for k in layer})
    desired_ids = {r.identity() for r in rendered.resources}
    leftovers = [e for e in inventory if e.identity not in desired_ids]
    if leftovers:
        targets = [(e.identity.provider_config, e.key.kind, target_for_entry(e)) for e in leftovers]
        ids = {e.key: e.identity for e in leftovers}
        # Leftovers whose ProviderConfig is gone cannot be observed: report, do not guess.
        missing = sorted({pc for pc, _, _ in targets if pc not in conns.configs})
        if missing:
            raise ProviderError(
                f"resources to prune use ProviderConfig {', '.join(missing)}, which is no longer declared; "
                "declare it again so Kedge can check and delete them"
            )
        _observe_targets(targets, conns, pool, retry, result, ids, leftovers=True)
    return result


def _observe_targets(
    targets: Sequence[tuple[str, str, Target]],
    conns: Connections,
    pool: ThreadPoolExecutor,
    retry: RetryPolicy,
    result: Observed,
    identities: Mapping[ResourceKey, Identity],
    leftovers: bool = False,
) -> None:
    groups: dict[tuple[str, str], list[Target]] = defaultdict(list)
    for config, kind, target in targets:
        groups[(config, kind)].append(target)

    def run(config: str, kind: str, group: list[Target]) -> Mapping[ResourceKey, Observation]:
        client = conns.client(config)
        return call_with_retry(lambda: client.observe_many(kind, group), retry)

    futures = {pool.submit(run, c, k, g): g for (c, k), g in groups.items()}
    for future, group in futures.items():
        observations = future.result()
        for target in group:
            obs = observations.get(target.key)
            if obs is None:
                raise ProviderError(f"{target.key}: the provider returned no observation")
            identity = identities[target.key]
            result.by_identity[identity] = obs
            result.targets[identity] = target
            if obs.exists and obs.outputs and not leftovers:
                result.outputs[(target.key.kind, target.key.name)] = obs.outputs
