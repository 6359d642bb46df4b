"""Apply a plan: changes in dependency order, bounded parallelism, every result recorded.

Creates and updates run layer by layer (a layer depends only on earlier ones); deletes run
after them in reverse order so dependants go first. Before a layer's creates run, their intents
are stored in one transaction, so a crash between the provider call and the inventory write
leaves a trace the next run reads (it observes, finds the object, and owns it: no duplicate).
A failed change skips everything that depends on it.

Each change is sent as its plan carries it (``Change.resource``: references resolved when the
plan was made). Only a value the plan could not know, because it refers to an object this
apply creates or replaces, is resolved again, from the outputs this apply produced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kedge.engine.observe import Connections, Observed
from kedge.engine.render import Rendered
from kedge.engine.retry import RetryPolicy, call_with_retry
from kedge.engine.targets import entry_target, referenced, resolve, target
from kedge.manifests import Graph
from kedge.model import Identity, InventoryEntry, KedgeError, Observation, Resource, ResourceKey
from kedge.model.values import redact_text
from kedge.planning import Action, Change, Plan
from kedge.providers.base import FieldChange, Target
from kedge.store import Store

log = logging.getLogger("kedge.engine")

SUCCEEDED, FAILED, SKIPPED = "succeeded", "failed", "skipped"


@dataclass(frozen=True)
class ChangeResult:
    change: Change
    result: str
    error: str | None = None
    seconds: float | None = None  # how long the provider call took (None: it was not made)
    details: Mapping[str, Any] | None = None  # for the audit log (a migration's counts)


@dataclass
class ApplyOutcome:
    results: list[ChangeResult] = field(default_factory=list)

    @property
    def failed(self) -> list[ChangeResult]:
        return [r for r in self.results if r.result == FAILED]

    @property
    def ok(self) -> bool:
        return not any(r.result != SUCCEEDED for r in self.results)


Progress = Callable[[ChangeResult], None]
Done = tuple[Change, Mapping[str, Any] | None]  # a change performed, with the outputs it left


@dataclass
class Applier:
    """Performs one plan, once. The plan and the observations it was made from are read, never
    changed; what this apply learns (the outputs of what it created) it keeps in ``outputs``."""

    app: str
    store: Store
    rendered: Rendered
    observed: Observed
    inventory: Mapping[ResourceKey, InventoryEntry]
    conns: Connections
    pool: ThreadPoolExecutor
    retry: RetryPolicy
    scrub: Callable[[str], str]
    progress: Progress | None = None
    workers: int = 8
    stale_intents: Mapping[Identity, Sequence[int]] = field(default_factory=dict)
    outcome: ApplyOutcome = field(default_factory=ApplyOutcome)
    # (kind, name) -> outputs of an object this apply created or changed, where they differ
    # from the observed ones: references to it are resolved again (``kedge.engine.targets``).
    outputs: dict[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    _failed: set[ResourceKey] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seconds: dict[ResourceKey, float] = field(default_factory=dict)
    _as_rendered: dict[ResourceKey, Resource] = field(default_factory=dict)  # references unresolved

    def apply(self, plan: Plan) -> ApplyOutcome:
        self._as_rendered = {r.key: r for r in self.rendered.resources}
        work = [c for c in plan.changes if c.is_change or self._needs_entry(c, None)]
        if any(c.action is Action.MIGRATE for c in work):
            from kedge.engine.migrate_apply import apply_migrating

            return apply_migrating(self, work)
        changes = [c for c in work if c.action is not Action.DELETE]
        deletes = [c for c in work if c.action is Action.DELETE]
        for layer in _layers(changes, self.rendered.graph):
            self._run_layer(layer)
        for layer in reversed(_delete_layers(deletes, self.inventory)):
            self._run_layer(layer)
        return self.outcome

    # -- one layer ----------------------------------------------------------------------------

    def _run_layer(self, layer: Sequence[Change]) -> None:
        # A controller replica that lost the app's lease stops before it touches the world again.
        self.store.check_fence()
        runnable: list[Change] = []
        for change in layer:
            blocker = self._failed_dependency(change)
            if blocker is not None:
                self._finish(change, SKIPPED, f"skipped: dependency {blocker} failed")
                self._failed.add(change.key)
            else:
                runnable.append(change)
        creates = [c for c in runnable if c.action in (Action.CREATE, Action.REPLACE) and c.resource]
        items = [(c.key, c.resource.identity(), dict(c.resource.raw_spec)) for c in creates if c.resource]
        intents = self.store.add_intents(self.app, items) if items else []
        intent_ids = {c.key: i for c, i in zip(creates, intents, strict=True)}
        # Work goes to the pool in chunks: thousands of fast changes (local files) would spend
        # more time in future bookkeeping than in the changes; slow ones (API calls) still get
        # one chunk each when there are few.
        size = max(1, len(runnable) // (self.workers * 4))
        chunks = [runnable[i : i + size] for i in range(0, len(runnable), size)]
        done: list[Done] = []
        for future in [self.pool.submit(self._perform_all, chunk) for chunk in chunks]:
            done.extend(future.result())
        self._record(done, intent_ids)

    def _perform_all(self, chunk: Sequence[Change]) -> list[Done]:
        done: list[Done] = []
        together = self._create_together(chunk)
        for change in chunk:
            if change.key in together:
                done.append((change, together[change.key]))
                continue
            started = time.monotonic()
            try:
                done.append((change, self._perform(change)))
            except KedgeError as err:
                self._seconds[change.key] = time.monotonic() - started
                self._fail(change, self.scrub(str(err)))
            except Exception as err:  # a provider bug must not hide the other results
                self._seconds[change.key] = time.monotonic() - started
                self._fail(change, self.scrub(f"{type(err).__name__}: {err}"))
            else:
                self._seconds[change.key] = time.monotonic() - started
        return done

    def _create_together(self, chunk: Sequence[Change]) -> dict[ResourceKey, Mapping[str, Any]]:
        """Plain creates of one ProviderConfig go to its ``create_many`` when it has one (one
        transaction for many objects); whatever it did not create goes one by one below."""
        groups: dict[str, list[Resource]] = {}
        for change in chunk:
            r = change.resource  # the plan's target
            plain = change.action is Action.CREATE and not change.adopt and r is not None
            if r is not None and plain and not self._observed(r).exists:
                groups.setdefault(r.provider_config, []).append(r)
        outputs: dict[ResourceKey, Mapping[str, Any]] = {}
        for config, resources in groups.items():
            create_many = getattr(self.conns.client(config), "create_many", None)
            if create_many is None or len(resources) < 2:
                continue
            started = time.monotonic()
            try:
                applied = create_many([self.target_of(r) for r in resources])
            except Exception as err:  # nothing is lost: each is created (and its error told) below
                log.debug("creating %d together failed, one by one instead: %s", len(resources), err)
                continue
            each = (time.monotonic() - started) / max(1, len(applied))
            with self._lock:
                for r in resources:
                    if r.key in applied:
                        outputs[r.key] = dict(applied[r.key].outputs)
                        self._seconds[r.key] = each
        return outputs

    def _observed(self, r: Resource) -> Observation:
        return self.observed.by_identity.get(r.identity(), Observation.missing())

    def _fail(self, change: Change, message: str) -> None:
        message = message.removeprefix(f"{change.key}: ")  # the key is shown beside it
        with self._lock:
            self._failed.add(change.key)
            self._finish(change, FAILED, message)

    def _failed_dependency(self, change: Change) -> ResourceKey | None:
        graph = self.rendered.graph
        if graph is None or change.action is Action.DELETE:
            return None
        for dep in graph.deps.get(change.key, frozenset()):
            if dep in self._failed:
                return dep
        return None

    def target_of(self, r: Resource) -> Target:
        """The target of ``r`` (a change's resource): as the plan showed it, resolved again only
        where it refers to outputs this apply produced (an id known after apply)."""
        rendered = self._as_rendered.get(r.key)
        if self.outputs and rendered is not None and not referenced(rendered).isdisjoint(self.outputs):
            r = resolve(rendered, self.observed.outputs, self.outputs)
        return target(r, self.inventory)

    def _perform(self, change: Change) -> Mapping[str, Any] | None:
        """Run one change against its provider; returns the new outputs (None for deletes)."""
        r = change.resource
        if r is None:  # a delete: the object is known from the inventory only
            self._delete(change)
            return None
        t = self.target_of(r)
        client = self.conns.client(r.provider_config)
        observed = self.observed.by_identity.get(r.identity(), Observation.missing())
        if change.action in (Action.NOOP, Action.RECORD):
            if change.adopt:  # nothing to change, but leave the ownership mark
                call_with_retry(lambda: client.update(t, observed, []), self.retry)
            return observed.outputs
        if change.action is Action.REPLACE:
            call_with_retry(lambda: client.delete(t, observed), self.retry)
            observed = Observation.missing()
        if not observed.exists:
            applied = call_with_retry(lambda: client.create(t), self.retry)
        else:
            diff = [FieldChange(d.path, d.before, _resolved(t, d.path, d.after)) for d in change.diff]
            applied = call_with_retry(lambda: client.update(t, observed, diff), self.retry)
        return {**observed.outputs, **applied.outputs}

    def _delete(self, change: Change) -> None:
        if change.forget_only:
            return
        entry = self.inventory[change.key]
        observed = self.observed.by_identity.get(entry.identity, Observation.missing())
        client = self.conns.client(entry.identity.provider_config)
        call_with_retry(lambda: client.delete(entry_target(entry), observed), self.retry)

    # -- bookkeeping --------------------------------------------------------------------------

    def _record(self, done: Sequence[Done], intent_ids: Mapping[ResourceKey, int]) -> None:
        puts: list[InventoryEntry] = []
        for change, outputs in done:
            if change.action is Action.DELETE:
                # the old object of a moved resource shares its key with the new one: keep that entry
                entry = self.inventory.get(change.key)
                if entry is not None and not _key_reused(change, self.rendered.resources):
                    self.store.remove_inventory(self.app, change.key)
                continue
            name = (change.key.kind, change.key.name)
            if outputs and dict(outputs) != dict(self.observed.outputs.get(name, {})):
                self.outputs[name] = outputs  # read by later layers only: no lock needed
            if change.resource is not None and self._needs_entry(change, outputs):
                puts.append(_entry(self.app, change.resource, outputs or {}, change.adopt))
        cleared = [intent_ids[c.key] for c, _ in done if c.key in intent_ids]
        # Intents left by an earlier run that died mid-create are settled once the object is tracked.
        cleared += [i for entry in puts for i in self.stale_intents.get(entry.identity, ())]
        if puts or cleared:
            self.store.put_inventory_many(puts, clear_intents=cleared)
        for change, _ in done:
            if change.is_change or self._needs_entry(change, None):
                self._finish(change, SUCCEEDED)

    def _needs_entry(self, change: Change, outputs: Mapping[str, Any] | None) -> bool:
        r = change.resource
        if r is None:
            return False
        if change.is_change:
            return True
        entry = self.inventory.get(r.key)
        return (
            entry is None
            or entry.identity != r.identity()
            or dict(entry.spec) != dict(r.raw_spec)
            or dict(entry.annotations) != dict(r.annotations)
            or (outputs is not None and dict(entry.outputs) != dict(outputs))
        )

    def _finish(
        self, change: Change, result: str, error: str | None = None, details: Mapping[str, Any] | None = None
    ) -> None:
        outcome = ChangeResult(change, result, error, self._seconds.get(change.key), details)
        self.outcome.results.append(outcome)
        if self.progress is not None:
            self.progress(outcome)


def _entry(app: str, r: Resource, outputs: Mapping[str, Any], adopted: bool) -> InventoryEntry:
    return InventoryEntry(
        app,
        r.key,
        r.identity(),
        dict(r.raw_spec),
        dict(outputs),
        dict(r.annotations),
        dict(r.labels),
        adopted,
    )


def _key_reused(change: Change, resources: Sequence[Resource]) -> bool:
    return any(r.key == change.key for r in resources)


def _resolved(target: Target, path: str, fallback: Any) -> Any:
    """The value at ``path`` in the target's (reference-resolved) spec."""
    node: Any = target.spec
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return fallback
        node = node[part]
    return node


def _layers(changes: Sequence[Change], graph: Graph | None) -> list[list[Change]]:
    if graph is None:
        return [list(changes)] if changes else []
    rank = {key: i for i, layer in enumerate(graph.order) for key in layer}
    layers: dict[int, list[Change]] = {}
    for change in changes:
        layers.setdefault(rank.get(change.key, 0), []).append(change)
    return [layers[i] for i in sorted(layers)]


def _delete_layers(
    changes: Sequence[Change], inventory: Mapping[ResourceKey, InventoryEntry]
) -> list[list[Change]]:
    """Deletes in layers by what their last applied state depended on (depends-on, fromResource):
    they have left the source, so the rendered graph does not know them; dependants go first."""
    by_name = {(c.key.kind, c.key.name): c.key for c in changes}
    needs: dict[ResourceKey, set[ResourceKey]] = {}
    for change in changes:
        entry = inventory.get(change.key)
        wanted: list[tuple[str, str]] = []
        if entry is not None:
            wanted = [(k.strip(), n.strip()) for k, _, n in _depends_on(entry.annotation("depends-on"))]
            wanted += _raw_references(entry.spec)
        needs[change.key] = {by_name[w] for w in wanted if w in by_name and by_name[w] != change.key}
    rank: dict[ResourceKey, int] = {}

    def depth(key: ResourceKey, seen: frozenset[ResourceKey]) -> int:
        if key not in rank:
            below = [depth(k, seen | {key}) for k in needs.get(key, ()) if k not in seen]
            rank[key] = 1 + max(below, default=-1)
        return rank[key]

    layers: dict[int, list[Change]] = {}
    for change in changes:
        layers.setdefault(depth(change.key, frozenset()), []).append(change)
    return [layers[i] for i in sorted(layers)]


def _depends_on(raw: str) -> list[tuple[str, str, str]]:
    return [item.partition("/") for item in raw.split(",") if "/" in item]


def _raw_references(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        ref = value.get("fromResource") if len(value) == 1 else None
        if isinstance(ref, Mapping):
            return [(str(ref.get("kind", "")), str(ref.get("name", "")))]
        return [r for v in value.values() for r in _raw_references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _raw_references(v)]
    return []


def scrubber(secrets: Callable[[], Sequence[str]]) -> Callable[[str], str]:
    """A function that removes every secret value from a message; the values are collected
    only when a message needs scrubbing (rarely), not on every plan."""
    return lambda text: redact_text(text, secrets())
