"""The controller: a de-duplicating queue of apps, a bounded pool of workers, a git poller,
provider watches, and the ``ControlPlane`` the API and the UI drive.

    controller = Controller(store, engine, cache_dir=Path(".kedge/git"))
    controller.start()        # workers, poller; every known app is queued once
    controller.create_app("web", {"source": {...}, "syncPolicy": {...}}, actor="admin")
    controller.stop()

Each reconcile returns when to come back (the drift interval); temporary errors back off
exponentially with jitter; a trigger that arrives while an app is reconciling is kept and runs
right after, so concurrent manual, webhook and drift triggers are never lost and one app never
reconciles twice at a time.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kedge.controller.api import NotFound, StreamEvent, Subscription
from kedge.controller.bus import EventBus
from kedge.controller.fetch import DEADLINE, Sources
from kedge.controller.metrics import Metrics
from kedge.controller.notify import Notifier
from kedge.controller.poller import Pollable, Poller
from kedge.controller.queue import WorkQueue
from kedge.controller.reconciler import Operation, Reconciler
from kedge.controller.spec import AppSpec, validate
from kedge.controller.views import app_view, event_view, history_view, resources_view
from kedge.controller.watches import Watches
from kedge.engine import AppRun, Engine, Options
from kedge.engine.cost import app_cost
from kedge.model import ConfigError, KedgeError, TemporaryError, is_temporary
from kedge.sources import LocalSources
from kedge.store import Store

log = logging.getLogger("kedge.controller")
LEASE_TTL = 600.0  # seconds an app stays leased to a replica (on another host) that died with it
LEASE_RETRY = 2.0  # seconds before trying an app another replica holds


class Controller:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        *,
        cache_dir: Path,
        workers: int = 4,
        notifier: Notifier | None = None,
        metrics: Metrics | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        local_sources: LocalSources | None = None,
        git_timeout: float | None = None,
        git_deadline: float = DEADLINE,
    ) -> None:
        """``local_sources``: where local repositories may be read (none by default);
        ``git_timeout``: seconds a git host may stay silent (libgit2's default otherwise);
        ``git_deadline``: seconds one git network operation may take in all."""
        self.store = store
        self.engine = engine
        self.bus = EventBus()
        self.metrics = metrics or Metrics()
        self.notifier = notifier or Notifier()
        self.sources = Sources(cache_dir, local_sources, timeout=git_timeout, deadline=git_deadline)
        self.poller = Poller(
            self.sources,
            self._pollable,
            on_moved=lambda name: self.queue.add(name, reason="commit"),
            on_error=self._poll_error,
            on_request=lambda: self.metrics.git_requests.labels("ls-remote").inc(),
        )
        self._reported: dict[tuple[str, str, str], str] = {}  # (event type, app, about) -> last message
        self._planning: set[str] = set()  # apps whose diff or resources are being computed
        self.queue = WorkQueue()
        self.watches = Watches(lambda app, detail: self.queue.add(app, reason="watch"))
        self.reconciler = Reconciler(
            store, engine, self.sources, self.bus, self.metrics, self.notifier, on_rendered=self._rendered
        )
        self.workers = workers
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._failures: dict[str, int] = {}
        self._ops: dict[str, Operation] = {}
        self._pending: dict[str, deque[Operation]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # Who this replica is, for leases shared with other replicas of the same store.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._apps_changed = self.poller.apps_changed
        self._threads: list[threading.Thread] = []
        self._started = False

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self._release_dead_leases()
        interrupted = self.store.mark_interrupted_runs()
        if interrupted:
            log.warning("%d run(s) were interrupted by a crash; their apps are reconciled again", interrupted)
        for record in self.store.list_apps():
            self.queue.add(record.name, reason="start")
        for i in range(self.workers):
            self._spawn(self._loop(self._work_once), f"kedge-worker-{i}")
        self._spawn(self._loop(self._poll_once, every=0.5), "kedge-poller")
        self._started = True

    def _release_dead_leases(self) -> None:
        """Leases of processes on this host that no longer run (a kill -9) are freed at once;
        those of other hosts expire by themselves."""
        host = socket.gethostname()
        for name, holder in self.store.lease_holders():
            held_by, _, rest = holder.partition(":")
            pid = rest.partition(":")[0]
            if held_by == host and pid.isdigit() and not _alive(int(pid)):
                self.store.release_lease(name, holder)

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.queue.close()
        self.watches.close()
        self.poller.close()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.notifier.close()

    def ready(self) -> bool:
        """Started, not stopping, every background loop still running, and the state store answers."""
        return (
            self._started
            and not self._stop.is_set()
            and all(t.is_alive() for t in self._threads)
            and self.store.ping()
        )

    # -- the loop ----------------------------------------------------------------------------------

    def _loop(self, body: Any, every: float = 0.0) -> Any:
        """A thread's target that runs ``body`` until stop, surviving any error of one round."""

        def run() -> None:
            name = threading.current_thread().name
            while not (self._stop.wait(every) if every else self._stop.is_set()):
                try:
                    body()
                except Exception:  # a loop must outlive anything one round does
                    log.exception("%s: unexpected error; the loop goes on", name)
                    if not every:
                        self._stop.wait(0.1)

        return run

    def _work_once(self) -> None:
        item = self.queue.get(timeout=0.5)
        if item is None:
            return
        name, reasons = item
        try:
            self._process(name, reasons)
            self._report(name, "reconcile-failed", None)
        except Exception as err:  # the loop must survive anything one app does
            log.exception("reconcile of %s crashed", name)
            why = f"the reconcile failed unexpectedly ({type(err).__name__}: {err})"
            self._report(name, "reconcile-failed", why)
            self.queue.add(name, delay=self._backoff(name), reason="retry")
        finally:
            self.queue.done(name)

    def _process(self, name: str, reasons: set[str]) -> None:
        lease = f"app:{name}"
        if not self.store.acquire_lease(lease, self.holder, LEASE_TTL):
            # Another replica sharing this store is reconciling the app: come back shortly.
            self.queue.add(name, delay=LEASE_RETRY, reason="leased")
            return
        try:
            self._reconcile(name, reasons)
        finally:
            self.store.release_lease(lease, self.holder)

    def _reconcile(self, name: str, reasons: set[str]) -> None:
        op = self._next_op(name)
        if op is not None:
            op.state = "running"
        try:
            again = self.reconciler.reconcile(name, reasons, op)
        except KedgeError as err:
            if is_temporary(err):
                delay = self._backoff(name)
                log.info("app %s: temporary failure, retry in %.1fs: %s", name, delay, err)
                self._finish_op(op, "failed", str(err))
                self.queue.add(name, delay=delay, reason="retry")
                return
            log.info("app %s: %s", name, err)
            self._failures.pop(name, None)
            self._finish_op(op, "failed", str(err))
            spec = self._spec(name)
            if spec is not None:
                self.queue.add(name, delay=spec.drift_interval, reason="drift")
            return
        self._failures.pop(name, None)
        if op is not None:
            record = self.store.get_app(name)
            failed = record is not None and (record.status or {}).get("health") == "Degraded"
            if record is not None and not op.revision:  # what "sync the branch" turned out to be
                op.revision = (record.status or {}).get("lastAttemptedRevision")
            self._finish_op(
                op,
                "failed" if failed else "succeeded",
                ((record.status or {}).get("conditions") or [{}])[0].get("message", "") if record else "",
            )
        with self._lock:
            more = bool(self._pending.get(name))
        if more:
            self.queue.add(name, reason="manual")
        elif again is not None:
            self.queue.add(name, delay=again, reason="drift")

    def _backoff(self, name: str) -> float:
        failures = self._failures.get(name, 0) + 1
        self._failures[name] = failures
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (failures - 1))
        return float(ceiling * (0.5 + random.random() / 2))  # noqa: S311 - jitter, not crypto

    def _poll_once(self) -> None:
        self.poller.tick()

    def _poll_error(self, name: str, message: str | None) -> None:
        self._report(name, "poll-failed", message)

    def _report(self, name: str, kind: str, message: str | None, about: str = "") -> None:
        """Record a background failure of an app as an event, once per distinct message (per
        ``about``, e.g. the child app refused); ``None``: the failure is over."""
        key = (kind, name, about)
        with self._lock:
            if message is None or self._reported.get(key) == message:
                if message is None:
                    self._reported.pop(key, None)
                return
            self._reported[key] = message
        try:
            if self.store.get_app(name) is None:
                return
            self.store.add_event(name, kind, message=message[:2000])
        except KedgeError as err:  # the store is down: the log keeps it (/readyz says so)
            log.warning("cannot record %s of %s: %s (%s)", kind, name, message, err)
            with self._lock:
                self._reported.pop(key, None)  # recorded once the store answers again
            return
        self.bus.publish(StreamEvent(kind, name, {"message": message[:2000]}))

    def _pollable(self) -> list[Pollable]:
        out: list[Pollable] = []
        try:
            records = self.store.list_apps()
        except KedgeError as err:  # the store is down: poll nothing until it answers (/readyz says so)
            log.warning("cannot list apps to poll: %s", err)
            return out
        for record in records:
            if record.pinned_revision:
                continue  # a suspended app is still polled: a new commit makes it OutOfSync
            try:
                spec = AppSpec.parse(record.name, record.spec)
            except ConfigError:
                continue
            out.append(Pollable(record.name, spec, (record.status or {}).get("lastAttemptedRevision") or ""))
        return out

    def _rendered(self, name: str, run: AppRun) -> None:
        self.watches.ensure(name, run)
        declared = set()
        for doc in run.rendered.core:
            if doc.kind == "Application" and doc.name != name:
                declared.add(doc.name)
                self._child_app(name, doc.name, dict(doc.spec))
        self._prune_children(name, declared)

    def _prune_children(self, parent: str, declared: set[str]) -> None:
        """Children no longer declared by ``parent`` go when its policy prunes; else they stay."""
        spec = self._spec(parent)
        if spec is None or not spec.prune:
            return
        for record in self.store.list_apps():
            if record.source == f"app:{parent}" and record.name not in declared:
                log.info("app %s is no longer declared by %s: deleted (it prunes)", record.name, parent)
                self.delete_app(record.name, actor=f"app:{parent}")

    def _child_app(self, parent: str, name: str, spec: dict[str, Any]) -> None:
        existing = self.store.get_app(name)
        if existing is not None and existing.source not in (f"app:{parent}",) and existing.source != "git":
            log.warning(
                "app %s declared by %s is already managed elsewhere (%s)", name, parent, existing.source
            )
            return
        if spec.get("platform") is True:
            log.warning(
                "app %s declared by %s asks for spec.platform, which only an admin may set", name, parent
            )
            return
        if existing is None or dict(existing.spec) != spec:
            try:
                validate(name, spec)
                self.sources.local.check(str(spec["source"]["repoURL"]))
            except ConfigError as err:
                log.warning("app %s declared by %s is refused: %s", name, parent, err)
                self._report(parent, "child-refused", f"Application {name!r} refused: {err}", about=name)
                return
            self.store.put_app(name, spec, source=f"app:{parent}")
            self._apps_changed.set()
            self.store.audit(f"app:{parent}", "app-created" if existing is None else "app-updated", app=name)
            self.queue.add(name, reason="commit")

    # -- operations --------------------------------------------------------------------------------

    def _next_op(self, name: str) -> Operation | None:
        with self._lock:
            pending = self._pending.get(name)
            return pending.popleft() if pending else None

    def _finish_op(self, op: Operation | None, state: str, message: str) -> None:
        if op is None:
            return
        op.state, op.message = state, message
        op.finished_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def _enqueue_op(self, op: Operation) -> dict[str, Any]:
        with self._lock:
            self._ops[op.id] = op
            self._pending.setdefault(op.app, deque()).append(op)
        self.queue.add(op.app, reason=op.type)
        return op.to_json()

    # -- ControlPlane --------------------------------------------------------------------------------

    def _record(self, name: str) -> Any:
        record = self.store.get_app(name)
        if record is None:
            raise NotFound(f"no app named {name!r}")
        return record

    def _spec(self, name: str) -> AppSpec | None:
        record = self.store.get_app(name)
        if record is None:
            return None
        try:
            return AppSpec.parse(name, record.spec)
        except ConfigError:
            return None

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
        self._apps_changed.set()
        self.queue.add(name, reason="manual")
        return app_view(self._record(name))

    def delete_app(self, name: str, actor: str) -> None:
        self._record(name)
        self.store.delete_app(name)
        self.store.audit(actor, "app-deleted", app=name)
        self.queue.forget(name)
        self.reconciler.forget(name)
        self._apps_changed.set()
        self.watches.forget(name)
        self.metrics.forget(name)
        self.poller.forget(name)

    def sync(
        self,
        name: str,
        actor: str,
        revision: str | None = None,
        prune: bool | None = None,
        confirm_prune: bool = False,
    ) -> dict[str, Any]:
        self._record(name)
        op = Operation(uuid.uuid4().hex[:12], name, "sync", actor, revision, prune, confirm_prune)
        self.store.audit(actor, "sync-requested", app=name, revision=revision)
        return self._enqueue_op(op)

    def rollback(self, name: str, history_id: int, actor: str) -> dict[str, Any]:
        self._record(name)
        run = self.store.run(history_id)
        if run is None or run.app != name or not run.revision:
            raise NotFound(f"app {name!r} has no history entry {history_id} with a revision")
        self.store.set_app_flags(name, pinned_revision=run.revision)
        self._apps_changed.set()
        self.store.audit(
            actor, "rollback", app=name, revision=run.revision, details={"historyId": history_id}
        )
        op = Operation(uuid.uuid4().hex[:12], name, "rollback", actor, run.revision)
        return self._enqueue_op(op)

    def operation(self, op_id: str) -> dict[str, Any]:
        with self._lock:
            op = self._ops.get(op_id)
        if op is None:
            raise NotFound(f"no operation {op_id!r}")
        return op.to_json()

    def suspend(self, name: str, actor: str) -> dict[str, Any]:
        self._record(name)
        self.store.set_app_flags(name, suspended=True)
        self._apps_changed.set()
        self.store.audit(actor, "suspend", app=name)
        self.queue.add(name, reason="manual")
        return app_view(self._record(name))

    def resume(self, name: str, actor: str) -> dict[str, Any]:
        self._record(name)
        self.store.set_app_flags(name, suspended=False, pinned_revision=None)
        self.store.audit(actor, "resume", app=name)
        self.poller.forget(name)
        self._apps_changed.set()
        self.queue.add(name, reason="manual")
        return app_view(self._record(name))

    def history(
        self, name: str, *, trigger: str | None = None, limit: int = 500, offset: int = 0
    ) -> list[dict[str, Any]]:
        self._record(name)
        return [history_view(r) for r in self.store.runs(name, limit=limit, offset=offset, trigger=trigger)]

    def events(self, name: str) -> list[dict[str, Any]]:
        self._record(name)
        return [event_view(e) for e in self.store.events(name)]

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
        urls = _payload_urls(payload)
        ref = str(payload.get("ref") or "")
        matched = []
        for record in self.store.list_apps():
            try:
                spec = AppSpec.parse(record.name, record.spec)
            except ConfigError:
                continue
            if _normalise_url(spec.repo_url) in urls and _ref_matches(spec.target_revision, ref):
                matched.append(record.name)
                # The webhook's reconcile fetches the new head; the poller only notes it next time.
                self.poller.defer(record.name, spec.poll_interval)
                self.queue.add(record.name, reason="webhook")
        return matched


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _normalise_url(url: str) -> str:
    url = url.strip().lower().rstrip("/")
    url = url.removesuffix(".git")
    for prefix in ("https://", "http://", "ssh://", "git://", "file://"):
        url = url.removeprefix(prefix)
    url = url.removeprefix("git@").replace(":", "/", 1) if url.startswith("git@") else url
    return url.split("@", 1)[-1]


def _payload_urls(payload: Mapping[str, Any]) -> set[str]:
    repo = payload.get("repository") or {}
    if not isinstance(repo, Mapping):
        return set()
    keys = ("clone_url", "html_url", "ssh_url", "git_url", "url")
    return {_normalise_url(str(repo[k])) for k in keys if isinstance(repo.get(k), str)}


def _ref_matches(target: str, ref: str) -> bool:
    if not ref or target in ("HEAD", ref):
        return True
    return ref in (f"refs/heads/{target}", f"refs/tags/{target}")
