"""What the controller offers to the entry points (REST API, web UI, CLI client, ``kedge serve``).

The HTTP layer speaks only this protocol, so it is tested against the real controller and
against ``FakeControlPlane`` alike. Views are plain JSON-ready dicts in the shapes of the
design's interface section (``name``, ``spec``, ``status.sync`` ...).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class NotFound(LookupError):
    """No such app, history entry or operation."""


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event: ``type`` is ``app`` (status change), ``sync`` or ``drift``."""

    type: str
    app: str
    data: Mapping[str, Any] = field(default_factory=dict)


class Subscription(Protocol):
    def events(self, timeout: float | None = None) -> Iterator[StreamEvent]:
        """Events as they happen; stops yielding after ``timeout`` seconds without one."""
        ...

    def close(self) -> None: ...


class ControlPlane(Protocol):
    # apps: views are {name, spec, status: {sync, health, lastAppliedRevision,
    # lastAttemptedRevision, conditions: [{type, status, reason, message}], suspended, pinned}}
    def list_apps(self) -> list[dict[str, Any]]: ...

    def get_app(self, name: str) -> dict[str, Any]: ...

    def create_app(self, name: str, spec: Mapping[str, Any], actor: str) -> dict[str, Any]:
        """Create or replace an app (``spec`` as in ``kind: Application``); ConfigError if invalid."""
        ...

    def delete_app(self, name: str, actor: str) -> None: ...

    # operations answer at once; the work runs on the controller's queue.
    # An operation is {id, app, type: sync|rollback, state: queued|running|succeeded|failed, ...}
    def sync(
        self,
        name: str,
        actor: str,
        revision: str | None = None,
        prune: bool | None = None,
        confirm_prune: bool = False,
    ) -> dict[str, Any]: ...

    def rollback(self, name: str, history_id: int, actor: str) -> dict[str, Any]: ...

    def operation(self, op_id: str) -> dict[str, Any]: ...

    def suspend(self, name: str, actor: str) -> dict[str, Any]: ...

    def resume(self, name: str, actor: str) -> dict[str, Any]: ...

    # read views, newest first where they are lists
    def history(
        self, name: str, *, trigger: str | None = None, limit: int = 500, offset: int = 0
    ) -> list[dict[str, Any]]:
        """[{id, revision, trigger, actor, result, startedAt, finishedAt, summary, message}]:
        the page of ``limit`` entries after the newest ``offset``, only ``trigger``'s if given."""
        ...

    def events(self, name: str) -> list[dict[str, Any]]:
        """[{type: drift|sync|..., resource: {kind, name}, fields, detectedAt, revertedAt, message}]"""
        ...

    def diff(self, name: str) -> dict[str, Any]:
        """The live plan of the app, in the shape of ``kedge plan -o json``."""
        ...

    def resources(self, name: str) -> list[dict[str, Any]]:
        """[{apiVersion, kind, name, status: Synced|OutOfSync|Missing|Unknown, dependsOn: ["Kind/name"],
        claim: {kind, name} | null}]"""
        ...

    def cost(self, name: str) -> dict[str, Any]:
        """The app's monthly cost per resource (``kedge cost`` JSON)."""
        ...

    def costs(self) -> dict[str, dict[str, Any]]:
        """Each app's last planned monthly cost: ``{"before", "after", "currency"}``."""
        ...

    def subscribe(self) -> Subscription: ...

    def webhook(self, payload: Mapping[str, Any]) -> list[str]:
        """A verified push payload: refresh the apps whose source matches; returns their names."""
        ...

    def ready(self) -> bool: ...

    def replicas(self) -> list[dict[str, Any]]:
        """The live controller replicas sharing the store: ``[{"name", "lastSeen", "apps"}]``."""
        ...
