"""The controller: the parts of one replica, built, started and stopped together.

    controller = Controller(store, engine, cache_dir=Path(".kedge/git"))
    controller.start()        # heartbeat, workers, poller; every app this replica owns is queued
    controller.create_app("web", {"source": {...}, "syncPolicy": {...}}, actor="admin")
    controller.stop()         # hands its apps and leases back to the other replicas at once

The parts, each in its module: ``membership`` (heartbeats; which apps this replica owns, by
``sharding``), ``leases`` (one replica at a time per app, renewed while a reconcile runs, the
fence of its writes), ``loop`` (the workers), ``poller`` (has a branch moved?), ``children``
(app of apps), ``operations`` (requested syncs and rollbacks, in the store), ``wake`` and
``relay`` (what other replicas must hear: wake-ups and the live stream), and the
``ControlPlane`` facade the API drives (``control_plane``). ``clock`` (monotonic seconds) is
handed to every part that keeps time, so tests move it instead of sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kedge.controller.children import Children
from kedge.controller.control_plane import ControlPlaneFacade
from kedge.controller.fetch import DEADLINE, Sources
from kedge.controller.leases import Leases
from kedge.controller.loop import Worker
from kedge.controller.membership import CHANNEL as MEMBERSHIP_CHANNEL
from kedge.controller.membership import Membership
from kedge.controller.metrics import Metrics
from kedge.controller.notify import Notifier
from kedge.controller.operations import Operations
from kedge.controller.poller import Pollable, Poller
from kedge.controller.queue import WorkQueue
from kedge.controller.reconciler import Reconciler
from kedge.controller.relay import CHANNEL as STREAM_CHANNEL
from kedge.controller.relay import SharedBus
from kedge.controller.reports import Reports
from kedge.controller.spec import AppSpec
from kedge.controller.wake import CHANNEL as WAKE_CHANNEL
from kedge.controller.wake import Wake
from kedge.controller.watches import Watches
from kedge.engine import Engine
from kedge.model import ConfigError, KedgeError
from kedge.sources import LocalSources
from kedge.store import Listener, Store

log = logging.getLogger("kedge.controller")
HOUSEKEEPING = 60.0  # seconds between prunings of finished operations


class Controller(ControlPlaneFacade):
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
        replica: str | None = None,
        heartbeat_ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``local_sources``: where local repositories may be read (none by default);
        ``git_timeout``: seconds a git host may stay silent (libgit2's default otherwise);
        ``git_deadline``: seconds one git network operation may take in all; ``replica``: this
        replica's name (random by default); ``heartbeat_ttl``: seconds a replica counts as
        alive without a heartbeat (also the app leases' term)."""
        self.store = store
        self.engine = engine
        self.clock = clock
        self.metrics = metrics or Metrics()
        self.notifier = notifier or Notifier()
        self.sources = Sources(cache_dir, local_sources, timeout=git_timeout, deadline=git_deadline)
        self.queue = WorkQueue(clock)
        ttl = {} if heartbeat_ttl is None else {"ttl": heartbeat_ttl}
        self.membership = Membership(store, name=replica, clock=clock, on_change=self._members_changed, **ttl)
        self.holder = self.membership.name
        self.bus = SharedBus(store, self.holder)
        self.reports = Reports(store, self.bus)
        self.leases = Leases(store, self.holder, alive=self.membership.alive, **ttl)
        self.operations = Operations(store, self.holder)
        self.wake = Wake(store, self.membership, self.queue, on_deleted=self.forget, on_queued=self._taken_up)
        self.watches = Watches(lambda app, detail: self.queue.add(app, reason="watch"))
        self.children = Children(
            store,
            self.sources.local,
            self.watches,
            self.reports,
            changed=self._child_changed,
            delete=self.delete_app,
        )
        self.reconciler = Reconciler(
            store,
            engine,
            self.sources,
            self.bus,
            self.metrics,
            self.notifier,
            on_rendered=self.children.rendered,
        )
        self.worker = Worker(
            store,
            self.queue,
            self.reconciler,
            membership=self.membership,
            leases=self.leases,
            operations=self.operations,
            reports=self.reports,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
        )
        self.poller = Poller(
            self.sources,
            self._pollable,
            on_moved=lambda name: self.queue.add(name, reason="commit"),
            on_error=lambda name, message: self.reports.report(name, "poll-failed", message),
            on_request=lambda: self.metrics.git_requests.labels("ls-remote").inc(),
            clock=clock,
        )
        self.reconciler.watch_generation = self.watches.generation  # sweeps skip quiet, watched apps
        self.reconciler.watches_quiet = self.watches.quiet
        self.workers = workers
        self._owned: set[str] = set()
        self._planning: set[str] = set()  # apps whose diff or resources are being computed
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener: Listener | None = None
        self._started = False

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self._listener = self.store.listener(
            [MEMBERSHIP_CHANNEL, WAKE_CHANNEL, STREAM_CHANNEL], self._notified
        )
        self.membership.start()  # its first heartbeat queues every app this replica owns
        self.leases.start()
        # Looked up at each round (not bound once), so a part replaced later is the one that runs.
        for i in range(self.workers):
            self._spawn(self._loop(lambda: self.worker.once()), f"kedge-worker-{i}")
        self._spawn(self._loop(lambda: self.poller.tick(), every=0.5), "kedge-poller")
        self._spawn(self._loop(lambda: self.operations.prune(), every=HOUSEKEEPING), "kedge-housekeeping")
        self._started = True

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _loop(self, body: Callable[[], Any], every: float = 0.0) -> Callable[[], None]:
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

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.queue.close()
        self.watches.close()
        self.poller.close()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.leases.stop()
        self.membership.leave()  # after the workers: their leases are handed back with it
        if self._listener is not None:
            self._listener.stop()
        self.notifier.close()

    def ready(self) -> bool:
        """Started, not stopping, every background loop still running, a member of the replicas
        (its heartbeat counts), and the state store answers."""
        return (
            self._started
            and not self._stop.is_set()
            and all(t.is_alive() for t in self._threads)
            and self.membership.alive()
            and self.store.ping()
        )

    # -- what changes which apps this replica works on -------------------------------------------

    def _members_changed(self, members: list[str]) -> None:
        """Take up the apps this replica gained; drop the ones it lost."""
        try:
            names = {r.name for r in self.store.list_apps()}
        except KedgeError as err:
            log.warning("cannot list apps after a membership change: %s", err)
            return
        owned = {name for name in names if self.membership.owns(name)}
        with self._lock:
            gained, lost = owned - self._owned, self._owned - owned
            self._owned = owned
        if gained or lost:
            log.info(
                "replicas %s: this one (%s) owns %d apps (+%d, -%d)",
                members,
                self.holder,
                len(owned),
                len(gained),
                len(lost),
            )
        for name in lost:
            self.forget(name)
        for name in sorted(gained):
            self.queue.add(name, reason="start")
        self.poller.apps_changed.set()

    def _taken_up(self, name: str) -> None:
        """``name`` is queued here already: the app list need not queue it as new."""
        with self._lock:
            self._owned.add(name)

    def _child_changed(self, name: str) -> None:
        self.poller.apps_changed.set()
        self.wake(name, "commit")

    def _notified(self, channel: str, payload: str) -> None:
        if channel == STREAM_CHANNEL:
            self.bus.receive(payload)
        elif channel == WAKE_CHANNEL:
            self.wake.receive(payload)
        elif channel == MEMBERSHIP_CHANNEL and payload != self.holder:
            self.membership.refresh()

    def _pollable(self) -> list[Pollable]:
        """The apps this replica polls: the ones it owns. Read every few seconds, which also
        picks up apps created and operations requested elsewhere if a notification was lost."""
        out: list[Pollable] = []
        try:
            records = self.store.list_apps()
            waiting = self.store.apps_with_unfinished_operations()
        except KedgeError as err:  # the store is down: poll nothing until it answers (/readyz says so)
            log.warning("cannot list apps to poll: %s", err)
            return out
        owned = {r.name for r in records if self.membership.owns(r.name)}
        with self._lock:
            new, self._owned = owned - self._owned, owned
        for name in sorted(new | (waiting & owned)):
            self.queue.add(name, reason="start" if name in new else "manual")
        for record in records:
            if record.name not in owned or record.pinned_revision:
                continue  # a suspended app is still polled: a new commit makes it OutOfSync
            try:
                spec = AppSpec.parse(record.name, record.spec)
            except ConfigError:
                continue
            out.append(Pollable(record.name, spec, (record.status or {}).get("lastAttemptedRevision") or ""))
        return out
