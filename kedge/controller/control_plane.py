"""The ``ControlPlane`` the API, the UI and the CLI client drive, on top of the controller's parts.

Every replica answers every request: reads come from the shared store; an app created,
changed or synced here is woken on the replica that owns it (``wake``: queued here when this
replica owns it, else a ``NOTIFY`` to the others); operations live in the store, so any
replica can say how one went. ``Controller`` mixes this in; the parts it uses are built there.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from kedge.controller.fetch import Sources
from kedge.controller.leases import Leases
from kedge.controller.loop import Worker
from kedge.controller.membership import Membership
from kedge.controller.metrics import Metrics
from kedge.controller.operations import Operations
from kedge.controller.poller import Poller
from kedge.controller.protocol import NotFound, Subscription
from kedge.controller.queue import WorkQueue
from kedge.controller.reconciler import Reconciler
from kedge.controller.relay import SharedBus
from kedge.controller.sharding import assign
from kedge.controller.spec import AppSpec, validate
from kedge.controller.views import app_view, event_view, history_view, resources_view
from kedge.controller.wake import DELETED, Wake
from kedge.controller.watches import Watches
from kedge.controller.webhooks import matches
from kedge.engine import AppRun, Engine, Options
from kedge.engine.cost import app_cost
from kedge.model import ConfigError, KedgeError, TemporaryError
from kedge.store import AppRecord, Store


class ControlPlaneFacade:
    store: Store
    engine: Engine
    sources: Sources
    bus: SharedBus
    metrics: Metrics
    queue: WorkQueue
    poller: Poller
    reconciler: Reconciler
    watches: Watches
    membership: Membership
    leases: Leases
    operations: Operations
    worker: Worker
    wake: Wake
    _lock: threading.Lock
    _planning: set[str]

    def _record(self, name: str) -> AppRecord:
        record = self.store.get_app(name)
        if record is None:
            raise NotFound(f"no app named {name!r}")
        return record

    # -- apps ------------------------------------------------------------------------------------

    def list_apps(self) -> list[dict[str, Any]]:
        return [app_view(r) for r in self.store.list_apps()]

    def get_app(self, name: str) -> dict[str, Any]:
        return app_view(self._record(name))

    def create_app(self, name: str, spec: Mapping[str, Any], actor: str) -> dict[str, Any]:
        validate(name, spec)
        self.sources.local.check(str(spec["source"]["repoURL"]))
        existing = self.store.get_app(name)
        self.store.put_app(name, dict(spec), source="api")
        self.store.audit(
            actor, "app-updated" if existing else "app-created", app=name, details={"spec": dict(spec)}
        )
        self.poller.forget(name)
        self.wake(name, "manual")
        return app_view(self._record(name))

    def delete_app(self, name: str, actor: str) -> None:
        self._record(name)
        self.store.delete_app(name)
        self.store.audit(actor, "app-deleted", app=name)
        self.forget(name)
        self.wake.others(name, DELETED)

    def forget(self, name: str) -> None:
        """Drop what this replica keeps about ``name`` (deleted, or owned elsewhere now)."""
        self.queue.forget(name)
        self.reconciler.forget(name)
        self.worker.forget(name)
        self.watches.forget(name)
        self.metrics.forget(name)
        self.poller.forget(name)

    def suspend(self, name: str, actor: str) -> dict[str, Any]:
        self._record(name)
        self.store.set_app_flags(name, suspended=True)
        self.store.audit(actor, "suspend", app=name)
        self.poller.apps_changed.set()
        self.wake(name, "manual")
        return app_view(self._record(name))

    def resume(self, name: str, actor: str) -> dict[str, Any]:
        self._record(name)
        self.store.set_app_flags(name, suspended=False, pinned_revision=None)
        self.store.audit(actor, "resume", app=name)
        self.poller.forget(name)
        self.wake(name, "manual")
        return app_view(self._record(name))

    # -- operations ------------------------------------------------------------------------------

    def sync(
        self,
        name: str,
        actor: str,
        revision: str | None = None,
        prune: bool | None = None,
        confirm_prune: bool = False,
    ) -> dict[str, Any]:
        self._record(name)
        self.store.audit(actor, "sync-requested", app=name, revision=revision)
        op = self.operations.request(
            name, "sync", actor, revision=revision, prune=prune, confirm_prune=confirm_prune
        )
        self.wake(name, "sync")
        return op

    def rollback(self, name: str, history_id: int, actor: str) -> dict[str, Any]:
        self._record(name)
        run = self.store.run(history_id)
        if run is None or run.app != name or not run.revision:
            raise NotFound(f"app {name!r} has no history entry {history_id} with a revision")
        self.store.set_app_flags(name, pinned_revision=run.revision)
        self.poller.apps_changed.set()
        self.store.audit(
            actor, "rollback", app=name, revision=run.revision, details={"historyId": history_id}
        )
        op = self.operations.request(name, "rollback", actor, revision=run.revision)
        self.wake(name, "rollback")
        return op

    def operation(self, op_id: str) -> dict[str, Any]:
        return self.operations.get(op_id)

    # -- read views ------------------------------------------------------------------------------

    def history(
        self, name: str, *, trigger: str | None = None, limit: int = 500, offset: int = 0
    ) -> list[dict[str, Any]]:
        self._record(name)
        return [history_view(r) for r in self.store.runs(name, limit=limit, offset=offset, trigger=trigger)]

    def events(self, name: str) -> list[dict[str, Any]]:
        self._record(name)
        return [event_view(e) for e in self.store.events(name)]

    def replicas(self) -> list[dict[str, Any]]:
        """The live replicas with the apps each owns: ``[{"name", "lastSeen", "apps"}]``."""
        live = self.store.replicas()
        shards = assign((r.name for r in self.store.list_apps()), [r.name for r in live])
        return [{"name": r.name, "lastSeen": r.last_seen.isoformat(), "apps": shards[r.name]} for r in live]

    def _plan_now(self, name: str) -> AppRun:
        """A fresh plan of the app for a diff or resources request, one per app at a time: a
        large app's render is not started again by every impatient viewer."""
        spec = AppSpec.parse(name, self._record(name).spec)
        with self._lock:
            if name in self._planning:
                busy = f"a plan of app {name!r} is already being computed; retry shortly"
                raise TemporaryError(busy, delay=2.0)
            self._planning.add(name)
        try:
            return self._plan_fetched(name, spec)
        finally:
            with self._lock:
                self._planning.discard(name)

    def _plan_fetched(self, name: str, spec: AppSpec) -> AppRun:
        options = Options(prune=spec.prune, allow_empty=spec.allow_empty, platform_app=spec.platform)
        try:
            head: str | None = self.sources.head(spec)
        except KedgeError:
            head = None  # the fetch below reports it
        rendered = self.reconciler.cached_render(name, spec, head) if head else None
        if rendered is not None:  # the branch stands still: observe and plan only
            run = self.engine.plan(name, rendered.root, options, rendered=rendered)
            self.engine.finish(run)
            return run
        fetched = self.sources.fetch(spec)
        try:
            run = self.engine.plan(name, fetched.directory, options)
            self.engine.finish(run)
            return run
        finally:
            fetched.cleanup()

    def diff(self, name: str) -> dict[str, Any]:
        return self._plan_now(name).plan.to_json()

    def resources(self, name: str) -> list[dict[str, Any]]:
        last = self.store.runs(name, limit=1, with_results=True)
        failed = {
            str(r.key): r.error or r.result
            for run in last
            for r in run.results
            if r.result in ("failed", "skipped")
        }
        return resources_view(self._plan_now(name), failed)

    def cost(self, name: str) -> dict[str, Any]:
        """The app's monthly cost per resource, priced from its source as it is now."""
        spec = AppSpec.parse(name, self._record(name).spec)
        fetched = self.sources.fetch(spec)
        try:
            return app_cost(self.engine, name, fetched.directory)
        finally:
            fetched.cleanup()

    def costs(self) -> dict[str, dict[str, Any]]:
        """Each app's last planned monthly cost (``{"before", "after", "currency"}``)."""
        return dict(self.reconciler.costs)

    def subscribe(self) -> Subscription:
        return self.bus.subscribe()

    def webhook(self, payload: Mapping[str, Any]) -> list[str]:
        matched = []
        for record in self.store.list_apps():
            try:
                spec = AppSpec.parse(record.name, record.spec)
            except ConfigError:
                continue
            if matches(payload, spec):
                matched.append(record.name)
                # The webhook's reconcile fetches the new head; the poller only notes it next time.
                self.poller.defer(record.name, spec.poll_interval)
                self.wake(record.name, "webhook")
        return matched
