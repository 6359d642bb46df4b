"""Observe: read the real world for every desired and every owned resource, batched.

One ``observe_many`` call per (ProviderConfig, kind) and dependency layer; groups run on a
bounded thread pool. Outputs of a layer (a VPC id) resolve the references of the next, so a
Subnet is compared with its VPC's real id. A provider error aborts the observation: it is
never read as "the resource is gone".
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import MappingProxyType

from kedge.engine.render import BoundConfig, Rendered
from kedge.engine.retry import RetryPolicy, call_with_retry
from kedge.engine.targets import Outputs, entry_target, known_outputs, resolve, target
from kedge.model import Identity, InventoryEntry, Observation, ProviderError, Resource, ResourceKey
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


@dataclass(frozen=True)
class Observed:
    """What observation found, as it was found: later steps read it and never change it."""

    by_identity: Mapping[Identity, Observation] = field(default_factory=dict)
    # The desired resources with their references resolved by the outputs observed: what the
    # planner compares with the world and what apply sends (``kedge.engine.targets``).
    resolved: Mapping[ResourceKey, Resource] = field(default_factory=dict)
    outputs: Outputs = field(default_factory=dict)  # (kind, name) -> outputs, inventory then observed


def observe(
    rendered: Rendered,
    inventory: Sequence[InventoryEntry],
    conns: Connections,
    pool: ThreadPoolExecutor,
    retry: RetryPolicy,
) -> Observed:
    by_identity: dict[Identity, Observation] = {}
    resolved: dict[ResourceKey, Resource] = {}
    outputs = known_outputs(inventory)
    by_key = {e.key: e for e in inventory}
    by_name = {r.key: r for r in rendered.resources}
    layers = rendered.graph.order if rendered.graph else [[r.key for r in rendered.resources]]
    deps = rendered.graph.deps if rendered.graph else None
    for layer in layers:
        for k in layer:
            # A resource with no edge in the graph refers to nothing: no need to look.
            refers = deps is None or bool(deps.get(k))
            resolved[k] = resolve(by_name[k], outputs) if refers else by_name[k]
        found = _observe_targets(
            [
                (resolved[k].provider_config, target(resolved[k], by_key), resolved[k].identity())
                for k in layer
            ],
            conns,
            pool,
            retry,
        )
        for k in layer:
            obs = found[resolved[k].identity()]
            by_identity[resolved[k].identity()] = obs
            if obs.exists and obs.outputs:
                outputs[(k.kind, k.name)] = obs.outputs
    desired_ids = {r.identity() for r in rendered.resources}
    leftovers = [e for e in inventory if e.identity not in desired_ids]
    if leftovers:
        # Leftovers whose ProviderConfig is gone cannot be observed: report, do not guess.
        missing = sorted({e.identity.provider_config for e in leftovers} - set(conns.configs))
        if missing:
            raise ProviderError(
                f"resources to prune use ProviderConfig {', '.join(missing)}, which is no longer declared; "
                "declare it again so Kedge can check and delete them"
            )
        items = [(e.identity.provider_config, entry_target(e), e.identity) for e in leftovers]
        by_identity.update(_observe_targets(items, conns, pool, retry))
    return Observed(MappingProxyType(by_identity), MappingProxyType(resolved), MappingProxyType(outputs))


def _observe_targets(
    items: Sequence[tuple[str, Target, Identity]],
    conns: Connections,
    pool: ThreadPoolExecutor,
    retry: RetryPolicy,
) -> dict[Identity, Observation]:
    """One ``observe_many`` per (ProviderConfig, kind), in parallel; an observation per identity."""
    groups: dict[tuple[str, str], list[tuple[Target, Identity]]] = defaultdict(list)
    for config, t, identity in items:
        groups[(config, t.key.kind)].append((t, identity))

    def run(config: str, kind: str, group: list[Target]) -> Mapping[ResourceKey, Observation]:
        client = conns.client(config)
        return call_with_retry(lambda: client.observe_many(kind, group), retry)

    futures = {pool.submit(run, c, k, [t for t, _ in g]): g for (c, k), g in groups.items()}
    found: dict[Identity, Observation] = {}
    for future, group in futures.items():
        observations = future.result()
        for t, identity in group:
            obs = observations.get(t.key)
            if obs is None:
                raise ProviderError(f"{t.key}: the provider returned no observation")
            found[identity] = obs
    return found
