"""An in-memory provider for engine, controller and CLI tests (after crossplane's ExternalClientFns).

    fake = FakeProvider()                       # serves Thing (fake.kedge.dev/v1)
    registry.register(fake)
    fake.fail("create", "db", TemporaryError("throttled"), times=2)
    ... run a reconcile ...
    assert ("create", "Thing", "db") in fake.calls
    assert fake.get("Thing", "db").outputs == {"id": "thing-1"}

Objects live in a dict shared by every client of one provider, keyed by (kind, external id).
Every client call is recorded in ``calls`` as ``(method, kind, external_id)`` (``observe_many``
once per target) before any injected failure or delay applies. ``put``, ``edit`` and ``remove``
change the world behind Kedge's back, as a user with a console would, and notify watchers.

Not for production: nothing persists, and settings are accepted as they come.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kedge.model import KedgeError, KindSpec, Observation, ProviderError, ResourceKey, Unknown
from kedge.providers.base import Applied, ConnectContext, FieldChange, Target, WatchEvent

__all__ = ["FakeClient", "FakeObject", "FakeProvider", "thing_kind"]

Call = tuple[str, str, str | None]  # (method, kind, external_id)


def thing_kind(api_version: str = "fake.kedge.dev/v1", kind: str = "Thing") -> KindSpec:
    """The default kind: any ``value``, a string ``ref``, a sensitive string ``secret``."""
    return KindSpec(
        api_version=api_version,
        kind=kind,
        description="An in-memory object for tests.",
        schema={
            "type": "object",
            "properties": {
                "value": {"description": "Anything."},
                "ref": {"type": "string", "description": "Often an output of another resource."},
                "secret": {"type": "string", "description": "A value that is never shown."},
            },
            "additionalProperties": False,
        },
        outputs={"id": "identifier assigned at creation, e.g. thing-1"},
        sensitive=frozenset({"secret"}),
    )


@dataclass
class FakeObject:
    kind: str
    external_id: str
    state: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None


@dataclass
class _Rule:
    """An injected failure (``error``) or delay (``seconds`` / ``gate``) for matching calls."""

    method: str
    external_id: str | None
    times: int | None  # None: every matching call
    error: KedgeError | None = None
    seconds: float = 0.0
    gate: threading.Event | None = None

    def matches(self, method: str, ids: Sequence[str | None]) -> bool:
        if self.method != method or self.times == 0:
            return False
        return self.external_id is None or self.external_id in ids


def _has_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_unknown(v) for v in value)
    return False


class FakeProvider:
    """A provider whose world is a dict; see the module docstring."""

    def __init__(
        self, name: str = "fake", kinds: Mapping[str, KindSpec] | Iterable[str] | None = None
    ) -> None:
        api_version = f"{name}.kedge.dev/v1"
        if kinds is None:
            kinds = {"Thing": thing_kind(api_version)}
        elif not isinstance(kinds, Mapping):
            kinds = {k: thing_kind(api_version, k) for k in kinds}
        self.name = name
        self.kinds: Mapping[str, KindSpec] = dict(kinds)
        self.settings_schema: Mapping[str, Any] = {"type": "object", "additionalProperties": True}
        self.objects: dict[tuple[str, str], FakeObject] = {}
        self.calls: list[Call] = []
        self.connections: list[tuple[Mapping[str, Any], ConnectContext]] = []
        self.observe_batches: list[tuple[str, list[str]]] = []
        self._rules: list[_Rule] = []
        self._counters: dict[str, int] = {}
        self._watchers: list[queue.SimpleQueue[WatchEvent]] = []
        self._lock = threading.RLock()

    # -- the Provider contract -----------------------------------------------------------

    def connect(self, settings: Mapping[str, Any], context: ConnectContext) -> FakeClient:
        with self._lock:
            self.connections.append((dict(settings), context))
        self._enter("connect", "", [None])
        return FakeClient(self, context)

    # -- what a test arranges ------------------------------------------------------------

    def fail(self, method: str, external_id: str | None, error: KedgeError, *, times: int | None = 1) -> None:
        """Make the next ``times`` calls of ``method`` on ``external_id`` (None: any) raise."""
        with self._lock:
            self._rules.append(_Rule(method, external_id, times, error=error))

    def delay(
        self, method: str, seconds: float, external_id: str | None = None, *, times: int | None = None
    ) -> None:
        """Make matching calls wait ``seconds`` before they run."""
        with self._lock:
            self._rules.append(_Rule(method, external_id, times, seconds=seconds))

    def gate(self, method: str, external_id: str | None = None, *, timeout: float = 10.0) -> threading.Event:
        """Hold matching calls until the returned event is set (or ``timeout`` passes)."""
        event = threading.Event()
        with self._lock:
            self._rules.append(_Rule(method, external_id, None, seconds=timeout, gate=event))
        return event

    def put(
        self,
        kind: str,
        external_id: str,
        state: Mapping[str, Any],
        *,
        owner: str | None = None,
        outputs: Mapping[str, Any] | None = None,
    ) -> FakeObject:
        """Make an object exist, as if created outside Kedge (or by ``owner``)."""
        with self._lock:
            obj = FakeObject(kind, external_id, dict(state), dict(outputs or self._new_outputs(kind)), owner)
            self.objects[(kind, external_id)] = obj
        self.notify(kind, external_id, "put")
        return obj

    def edit(self, kind: str, external_id: str, **changes: Any) -> FakeObject:
        """Change fields of an existing object out of band (drift)."""
        with self._lock:
            obj = self.objects[(kind, external_id)]
            obj.state.update(changes)
        self.notify(kind, external_id, "edit")
        return obj

    def remove(self, kind: str, external_id: str) -> None:
        """Delete an object out of band."""
        with self._lock:
            self.objects.pop((kind, external_id), None)
        self.notify(kind, external_id, "remove")

    def get(self, kind: str, external_id: str) -> FakeObject | None:
        with self._lock:
            return self.objects.get((kind, external_id))

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c[0] == method]

    def notify(self, kind: str, external_id: str | None = None, detail: str = "") -> None:
        """Send a watch event to every open ``watch()``."""
        with self._lock:
            watchers = list(self._watchers)
        for q in watchers:
            q.put(WatchEvent(kind, external_id, detail))

    # -- used by clients -----------------------------------------------------------------

    def _new_outputs(self, kind: str) -> dict[str, Any]:
        n = self._counters.get(kind, 0) + 1
        self._counters[kind] = n
        return {"id": f"{kind.lower()}-{n}"}

    def _enter(self, method: str, kind: str, ids: Sequence[str | None]) -> None:
        """Record a call, then apply the delays and failures arranged for it."""
        waits: list[_Rule] = []
        error: KedgeError | None = None
        with self._lock:
            self.calls.extend((method, kind, i) for i in ids)
            for rule in self._rules:
                if not rule.matches(method, ids):
                    continue
                if rule.error is not None and error is not None:
                    continue  # one failure per call; the next rule waits for the next call
                if rule.times is not None:
                    rule.times -= 1
                if rule.error is not None:
                    error = rule.error
                else:
                    waits.append(rule)
        for rule in waits:
            if rule.gate is not None:
                rule.gate.wait(rule.seconds)
            else:
                time.sleep(rule.seconds)
        if error is not None:
            raise error

    def _watch(self, stop: threading.Event | None) -> Iterator[WatchEvent]:
        q: queue.SimpleQueue[WatchEvent] = queue.SimpleQueue()
        with self._lock:
            self._watchers.append(q)
        try:
            while stop is None or not stop.is_set():
                try:
                    yield q.get(timeout=0.02)
                except queue.Empty:
                    continue
        finally:
            with self._lock:
                self._watchers.remove(q)


def _id(target: Target) -> str:
    return target.external_id or target.key.name


class FakeClient:
    """A client of a ``FakeProvider``; every method records itself and honours injected rules."""

    def __init__(self, provider: FakeProvider, context: ConnectContext) -> None:
        self.provider = provider
        self.context = context
        self.closed = False

    def _check(self, kind: str) -> None:
        if self.closed:
            raise ProviderError("fake client used after close()")
        if kind not in self.provider.kinds:
            raise ProviderError(f"the {self.provider.name} provider has no kind {kind!r}")

    def observe_many(self, kind: str, targets: Sequence[Target]) -> Mapping[ResourceKey, Observation]:
        ids = [_id(t) for t in targets]
        p = self.provider
        with p._lock:
            p.observe_batches.append((kind, ids))
        p._enter("observe_many", kind, ids)
        self._check(kind)
        out: dict[ResourceKey, Observation] = {}
        with p._lock:
            for target, ext in zip(targets, ids, strict=True):
                obj = p.objects.get((kind, ext))
                if obj is None:
                    out[target.key] = Observation.missing()
                else:
                    out[target.key] = Observation(True, dict(obj.state), dict(obj.outputs), obj.owner)
        return out

    def create(self, target: Target) -> Applied:
        kind, ext = target.key.kind, _id(target)
        self.provider._enter("create", kind, [ext])
        self._check(kind)
        if _has_unknown(target.spec):
            raise ProviderError(f"{target.key}: create called with a value not known yet")
        p = self.provider
        with p._lock:
            existing = p.objects.get((kind, ext))
            outputs = existing.outputs if existing else p._new_outputs(kind)
            p.objects[(kind, ext)] = FakeObject(kind, ext, dict(target.spec), dict(outputs), self.context.app)
        return Applied(outputs=dict(outputs))

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        kind, ext = target.key.kind, _id(target)
        self.provider._enter("update", kind, [ext])
        self._check(kind)
        if _has_unknown(target.spec):
            raise ProviderError(f"{target.key}: update called with a value not known yet")
        p = self.provider
        with p._lock:
            obj = p.objects.get((kind, ext))
            if obj is None:
                raise ProviderError(f"{target.key}: cannot update {ext!r}: it does not exist")
            obj.state = dict(target.spec)
            obj.owner = self.context.app
            return Applied(outputs=dict(obj.outputs))

    def delete(self, target: Target, observed: Observation) -> None:
        kind, ext = target.key.kind, _id(target)
        self.provider._enter("delete", kind, [ext])
        self._check(kind)
        with self.provider._lock:
            self.provider.objects.pop((kind, ext), None)

    def close(self) -> None:
        self.provider._enter("close", "", [None])
        self.closed = True

    def watch(self, stop: threading.Event | None = None) -> Iterator[WatchEvent]:
        """Events sent by ``FakeProvider.notify`` and by out-of-band ``put``/``edit``/``remove``."""
        yield from self.provider._watch(stop)
