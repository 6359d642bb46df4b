"""``FakeControlPlane``: the controller's protocol (``kedge.controller.protocol.ControlPlane``) in memory.

Syncs and rollbacks run on a worker thread, as on the real controller's queue: the call answers
``queued`` at once, the operation moves to ``running`` and then ``succeeded`` (or ``failed``
when the app's spec says ``fail: true``), a history entry is added and events are published to
every subscriber. Tests drive drift by hand with ``drift`` and ``revert``.

A ``canary`` secret, when given, is planted where a careless server would leak it: as a
``Secret`` inside the live diff, the resources, and drift event fields.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from kedge.controller.protocol import NotFound, StreamEvent
from kedge.model import ConfigError, Diagnostic
from kedge.model.values import Secret

RESOURCES = [
    ("local.kedge.dev/v1", "Directory", "etc", []),
    ("local.kedge.dev/v1", "File", "motd", ["Directory/etc"]),
    ("local.kedge.dev/v1", "File", "config", ["Directory/etc"]),
    ("postgres.kedge.dev/v1", "Role", "app", []),
    ("postgres.kedge.dev/v1", "Database", "app", ["Role/app"]),
]


def now() -> str:
    return datetime.now(UTC).isoformat()


class FakeSubscription:
    def __init__(self, owner: FakeControlPlane) -> None:
        self._owner = owner
        self._queue: queue.Queue[StreamEvent | None] = queue.Queue()
        self.closed = False

    def put(self, event: StreamEvent) -> None:
        self._queue.put(event)

    def events(self, timeout: float | None = None) -> Iterator[StreamEvent]:
        while not self.closed:
            try:
                event = self._queue.get(timeout=timeout)
            except queue.Empty:
                return
            if event is None:
                return
            yield event

    def close(self) -> None:
        self.closed = True
        self._queue.put(None)
        self._owner._unsubscribe(self)


class FakeControlPlane:
    def __init__(self, *, canary: str | None = None, step: float = 0.05) -> None:
        self.canary = Secret(canary, "fromEnv CANARY") if canary else None
        self.step = step  # seconds an operation stays queued, then running
        self.is_ready = True
        self.calls: list[tuple[str, ...]] = []
        self._apps: dict[str, dict[str, Any]] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._ops: dict[str, dict[str, Any]] = {}
        self._subs: list[FakeSubscription] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._work: queue.Queue[str | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="fake-control-plane", daemon=True)
        self._worker.start()

    # -- apps -----------------------------------------------------------------------------------
    def list_apps(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._view(n) for n in sorted(self._apps)]

    def get_app(self, name: str) -> dict[str, Any]:
        with self._lock:
            return self._view(name)

    def create_app(self, name: str, spec: Mapping[str, Any], actor: str) -> dict[str, Any]:
        source = spec.get("source")
        if not isinstance(source, Mapping) or not isinstance(source.get("repoURL"), str):
            raise ConfigError(
                f"app {name!r}: spec.source.repoURL is required",
                [Diagnostic.error("required", path="spec.source.repoURL")],
            )
        url = source["repoURL"]
        if "://" not in url and not url.startswith(("git@", "/")):
            raise ConfigError(
                f"app {name!r}: spec.source.repoURL is not a URL",
                [
                    Diagnostic.error(
                        "expected a URL such as https://host/repo.git", path="spec.source.repoURL"
                    )
                ],
            )
        with self._lock:
            self.calls.append(("create_app", name, actor))
            old = self._apps.get(name)
            self._apps[name] = {
                "name": name,
                "spec": dict(spec),
                "status": old["status"]
                if old
                else {
                    "sync": "OutOfSync",
                    "health": "Missing",
                    "lastAppliedRevision": None,
                    "lastAttemptedRevision": None,
                    "suspended": False,
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "False",
                            "reason": "NeverSynced",
                            "message": "not synced yet",
                        }
                    ],
                },
            }
            self._history.setdefault(name, [])
            self._events.setdefault(name, [])
            view = self._view(name)
        self._publish("app", name, view)
        return view

    def delete_app(self, name: str, actor: str) -> None:
        with self._lock:
            self._view(name)
            self.calls.append(("delete_app", name, actor))
            del self._apps[name]
        self._publish("app", name, {"deleted": True})

    def suspend(self, name: str, actor: str) -> dict[str, Any]:
        return self._set_suspended(name, True, actor)

    def resume(self, name: str, actor: str) -> dict[str, Any]:
        return self._set_suspended(name, False, actor)

    def _set_suspended(self, name: str, value: bool, actor: str) -> dict[str, Any]:
        with self._lock:
            self._view(name)
            self.calls.append(("resume" if not value else "suspend", name, actor))
            self._apps[name]["status"]["suspended"] = value
            view = self._view(name)
        self._publish("app", name, view)
        return view

    # -- operations ------------------------------------------------------------------------------
    def sync(
        self,
        name: str,
        actor: str,
        revision: str | None = None,
        prune: bool | None = None,
        confirm_prune: bool = False,
    ) -> dict[str, Any]:
        with self._lock:
            app = self._view(name)
            self.calls.append(("sync", name, actor))
            target = revision or app["spec"]["source"].get("targetRevision") or "main"
            return self._queue("sync", name, actor, f"{target}@{next(self._ids):04d}")

    def rollback(self, name: str, history_id: int, actor: str) -> dict[str, Any]:
        with self._lock:
            self._view(name)
            entry = next((h for h in self._history[name] if h["id"] == history_id), None)
            if entry is None:
                raise NotFound(f"app {name!r} has no history entry {history_id}")
            self.calls.append(("rollback", name, actor))
            return self._queue("rollback", name, actor, entry["revision"])

    def operation(self, op_id: str) -> dict[str, Any]:
        with self._lock:
            if op_id not in self._ops:
                raise NotFound(f"no operation {op_id!r}")
            return dict(self._ops[op_id])

    def _queue(self, kind: str, name: str, actor: str, revision: str) -> dict[str, Any]:
        op_id = f"op-{next(self._ids)}"
        self._ops[op_id] = {
            "id": op_id,
            "app": name,
            "type": kind,
            "state": "queued",
            "revision": revision,
            "actor": actor,
            "message": None,
        }
        self._work.put(op_id)
        return dict(self._ops[op_id])

    def _run(self) -> None:
        while (op_id := self._work.get()) is not None:
            time.sleep(self.step)
            with self._lock:
                op = self._ops[op_id]
                op["state"] = "running"
                op["progress"] = {"done": 0, "total": len(RESOURCES)}
            self._publish("sync", op["app"], dict(op))
            time.sleep(self.step)
            self._finish(op_id)

    def _finish(self, op_id: str) -> None:
        with self._lock:
            op = self._ops[op_id]
            app = self._apps.get(op["app"])
            if app is None:
                op["state"] = "failed"
                op["message"] = "the app was deleted"
                return
            failed = bool(app["spec"].get("fail"))
            op["state"] = "failed" if failed else "succeeded"
            op["progress"] = {"done": len(RESOURCES), "total": len(RESOURCES)}
            status = app["status"]
            status["lastAttemptedRevision"] = op["revision"]
            if not failed:
                status.update(sync="Synced", health="Healthy", lastAppliedRevision=op["revision"])
                status["conditions"] = [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "Synced",
                        "message": f"applied {op['revision']}",
                    }
                ]
            entries = self._history[op["app"]]
            entries.insert(
                0,
                {
                    "id": len(entries) + 1,
                    "revision": op["revision"],
                    "trigger": op["type"],
                    "actor": op["actor"],
                    "result": op["state"],
                    "startedAt": now(),
                    "finishedAt": now(),
                    "summary": {"create": 0, "update": 1, "delete": 0},
                    "message": op["message"],
                },
            )
            view = self._view(op["app"])
        self._publish("sync", op["app"], dict(op))
        self._publish("app", op["app"], view)

    # -- drift, driven by tests ------------------------------------------------------------------
    def drift(
        self,
        name: str,
        kind: str = "File",
        resource: str = "motd",
        fields: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        fields = fields or [{"path": "content", "desired": "hello\n", "actual": "edited by hand\n"}]
        if self.canary is not None:
            fields = [*fields, {"path": "password", "desired": self.canary, "actual": self.canary}]
        with self._lock:
            self._view(name)
            event = {
                "id": next(self._ids),
                "type": "drift",
                "resource": {"kind": kind, "name": resource},
                "fields": fields,
                "message": f"{kind}/{resource} changed outside Kedge",
                "detectedAt": now(),
                "revertedAt": None,
            }
            self._events[name].insert(0, event)
            self._apps[name]["status"]["sync"] = "OutOfSync"
            view = self._view(name)
        self._publish("drift", name, event)
        self._publish("app", name, view)
        return event

    def revert(self, name: str) -> None:
        with self._lock:
            reverted = []
            for event in self._events[name]:
                if event["type"] == "drift" and event["revertedAt"] is None:
                    event["revertedAt"] = now()
                    reverted.append(dict(event))
            self._apps[name]["status"]["sync"] = "Synced"
            view = self._view(name)
        for event in reverted:
            self._publish("drift", name, event)
        self._publish("app", name, view)

    # -- read views ------------------------------------------------------------------------------
    def history(
        self, name: str, *, trigger: str | None = None, limit: int = 500, offset: int = 0
    ) -> list[dict[str, Any]]:
        with self._lock:
            self._view(name)
            entries = [dict(h) for h in self._history[name] if trigger is None or h.get("trigger") == trigger]
            return entries[offset : offset + limit]

    def events(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            self._view(name)
            return [dict(e) for e in self._events[name]]

    def diff(self, name: str) -> dict[str, Any]:
        with self._lock:
            app = self._view(name)
        drifted = app["status"]["sync"] != "Synced"
        changes = []
        if drifted:
            diff: list[dict[str, Any]] = [
                {"path": "content", "before": "edited by hand\n", "after": "hello\n"}
            ]
            if self.canary is not None:
                diff.append({"path": "password", "before": self.canary, "after": self.canary})
            changes.append(
                {
                    "action": "update",
                    "apiVersion": "local.kedge.dev/v1",
                    "kind": "File",
                    "name": "motd",
                    "diff": diff,
                    "reason": "content differs",
                }
            )
        summary = {
            "create": 0,
            "update": len(changes),
            "replace": 0,
            "delete": 0,
            "noop": len(RESOURCES) - len(changes),
        }
        return {"changes": changes, "summary": summary, "diagnostics": []}

    def cost(self, name: str) -> dict[str, Any]:
        with self._lock:
            self._view(name)
        bucket = {
            "apiVersion": "aws.kedge.dev/v1",
            "kind": "S3Bucket",
            "name": "assets",
            "monthly": 2.3,
            "components": [{"name": "Storage", "unit": "GB-Mo", "quantity": 100, "price": 0.023, "monthly": 2.3}],
        }
        return {"currency": "USD", "total": 2.3, "resources": [bucket], "unpriced": [], "diagnostics": []}

    def costs(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: {"before": 0.0, "after": 2.3, "currency": "USD"} for name in self._apps}

    def resources(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            app = self._view(name)
            open_drift = {
                (e["resource"]["kind"], e["resource"]["name"])
                for e in self._events[name]
                if e["type"] == "drift" and e["revertedAt"] is None
            }
        out = []
        for api_version, kind, res, deps in RESOURCES:
            if app["status"]["lastAppliedRevision"] is None:
                state = "Missing"
            else:
                state = "OutOfSync" if (kind, res) in open_drift else "Synced"
            item: dict[str, Any] = {
                "apiVersion": api_version,
                "kind": kind,
                "name": res,
                "status": state,
                "dependsOn": deps,
            }
            if self.canary is not None and kind == "Role":
                item["spec"] = {"password": self.canary}
            out.append(item)
        return out

    # -- stream, webhook, readiness ---------------------------------------------------------------
    def subscribe(self) -> FakeSubscription:
        sub = FakeSubscription(self)
        with self._lock:
            self._subs.append(sub)
        return sub

    def _unsubscribe(self, sub: FakeSubscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    def _publish(self, kind: str, app: str, data: Mapping[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.put(StreamEvent(kind, app, dict(data)))

    def publish(self, kind: str, app: str, data: Mapping[str, Any]) -> None:
        """Send an event as the controller would (for stream tests)."""
        self._publish(kind, app, data)

    def webhook(self, payload: Mapping[str, Any]) -> list[str]:
        repo = payload.get("repository") or {}
        urls = {repo.get("clone_url"), repo.get("html_url"), repo.get("ssh_url")} - {None}
        with self._lock:
            names = [n for n, a in sorted(self._apps.items()) if a["spec"]["source"]["repoURL"] in urls]
        for name in names:
            self.sync(name, "webhook")
        return names

    def ready(self) -> bool:
        return self.is_ready

    def replicas(self) -> list[dict[str, Any]]:
        with self._lock:
            names = sorted(self._apps)
        return [{"name": "fake-replica", "lastSeen": "2026-01-01T00:00:00+00:00", "apps": names}]

    def close(self) -> None:
        self._work.put(None)
        self._worker.join(timeout=5)

    def _view(self, name: str) -> dict[str, Any]:
        app = self._apps.get(name)
        if app is None:
            raise NotFound(f"no app named {name!r}")
        status = dict(app["status"])
        status["conditions"] = [dict(c) for c in status["conditions"]]
        return {"name": app["name"], "spec": dict(app["spec"]), "status": status}
