"""The worker loop: take an app off the queue, reconcile it under its lease, decide when next.

    worker.once()         # what each worker thread does, over and over

An app this replica does not own (``membership``) is dropped: its owner reconciles it. An app
another replica is still reconciling (a hand-over in progress) comes back after
``LEASE_RETRY``. Inside the lease every store write is fenced; a reconcile whose lease was
lost (the replica froze past it, or was counted out) has its writes refused and stops.

Each reconcile returns when to come back (the drift interval); temporary errors back off
exponentially with jitter; a requested operation (``operations``) runs in the reconcile that
claims it, and a further one queued meanwhile runs right after.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from kedge.controller.leases import Leases
from kedge.controller.membership import Membership
from kedge.controller.operations import Operation, Operations
from kedge.controller.queue import WorkQueue
from kedge.controller.reconciler import Reconciler
from kedge.controller.reports import Reports
from kedge.controller.spec import AppSpec
from kedge.model import ConfigError, KedgeError, is_temporary
from kedge.store import FencedError, Store

log = logging.getLogger("kedge.controller")
LEASE_RETRY = 1.0  # seconds before trying an app another replica is still reconciling


class Worker:
    def __init__(
        self,
        store: Store,
        queue: WorkQueue,
        reconciler: Reconciler,
        *,
        membership: Membership,
        leases: Leases,
        operations: Operations,
        reports: Reports,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        random_fraction: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.queue = queue
        self.reconciler = reconciler
        self.membership = membership
        self.leases = leases
        self.operations = operations
        self.reports = reports
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._random = random_fraction
        self._failures: dict[str, int] = {}
        self._settled: set[str] = set()  # apps whose runs left by dead processes are marked

    def once(self) -> None:
        item = self.queue.get(timeout=0.5)
        if item is None:
            return
        name, reasons = item
        try:
            self._process(name, reasons)
            self.reports.report(name, "reconcile-failed", None)
        except FencedError as err:
            log.warning("app %s: %s", name, err)
            self._settled.discard(name)
            if self.membership.owns(name):  # the lease ran out under us (a stall): try again
                self.queue.add(name, delay=LEASE_RETRY, reason="retry")
        except Exception as err:  # the loop must survive anything one app does
            log.exception("reconcile of %s crashed", name)
            why = f"the reconcile failed unexpectedly ({type(err).__name__}: {err})"
            self.reports.report(name, "reconcile-failed", why)
            self.queue.add(name, delay=self.backoff(name), reason="retry")
        finally:
            self.queue.done(name)

    def forget(self, name: str) -> None:
        self._failures.pop(name, None)
        self._settled.discard(name)

    def _process(self, name: str, reasons: set[str]) -> None:
        if not self.membership.owns(name):
            return  # another replica owns it now (or this one is cut off from the store)
        with self.leases.hold(name) as lease:
            if lease is None:
                # Another replica is still reconciling it (a hand-over): come back shortly.
                self.queue.add(name, delay=LEASE_RETRY, reason="leased")
                return
            if name not in self._settled:
                # Holding the lease, no other process can be running this app: an unfinished run
                # of it is one whose process died.
                self.store.mark_interrupted_runs([name])
                self._settled.add(name)
            self._reconcile(name, reasons)

    def _reconcile(self, name: str, reasons: set[str]) -> None:
        op = self.operations.claim(name)
        try:
            again = self.reconciler.reconcile(name, reasons, op)
        except FencedError:
            raise
        except KedgeError as err:
            if is_temporary(err):
                delay = self.backoff(name)
                log.info("app %s: temporary failure, retry in %.1fs: %s", name, delay, err)
                self._finish(op, "failed", str(err))
                self.queue.add(name, delay=delay, reason="retry")
                return
            log.info("app %s: %s", name, err)
            self._failures.pop(name, None)
            self._finish(op, "failed", str(err))
            spec = self._spec(name)
            if spec is not None:
                self.queue.add(name, delay=spec.drift_interval, reason="drift")
            return
        self._failures.pop(name, None)
        if op is not None:
            record = self.store.get_app(name)
            status = (record.status or {}) if record is not None else {}
            failed = status.get("health") == "Degraded"
            message = (status.get("conditions") or [{}])[0].get("message", "")
            # What "sync the branch" turned out to be.
            revision = None if op.revision else status.get("lastAttemptedRevision")
            self._finish(op, "failed" if failed else "succeeded", message, revision)
        if self.operations.pending(name):
            self.queue.add(name, reason="manual")
        elif again is not None:
            self.queue.add(name, delay=again, reason="drift")

    def _finish(self, op: Operation | None, state: str, message: str, revision: str | None = None) -> None:
        if op is not None:
            self.operations.finish(op, state, message, revision)

    def _spec(self, name: str) -> AppSpec | None:
        record = self.store.get_app(name)
        if record is None:
            return None
        try:
            return AppSpec.parse(name, record.spec)
        except ConfigError:
            return None

    def backoff(self, name: str) -> float:
        failures = self._failures.get(name, 0) + 1
        self._failures[name] = failures
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (failures - 1))
        return float(ceiling * (0.5 + self._random() / 2))
