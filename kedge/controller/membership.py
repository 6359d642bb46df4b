"""This replica's membership: its heartbeat, the live replicas it sees, and which apps it owns.

Every replica of one store registers under a random instance name (a restarted container with
the same hostname and pid is a new member, never the old one), renews its heartbeat every
``interval`` seconds for ``ttl`` seconds of the database's clock, and reads the live list in
the same breath. An app belongs to the replica that rendezvous hashing picks from that list
(``sharding``). When the list changes, ``on_change`` is told, so the loop takes up the apps it
gained and drops the ones it lost.

A replica that cannot reach the store for longer than ``ttl`` owns nothing: by then the others
may have counted it out. The time is taken from the injected ``clock`` (monotonic seconds) at
the moment a heartbeat was *sent*, so a slow answer never lengthens what it may assume.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from kedge.controller.sharding import owner
from kedge.model import KedgeError
from kedge.store import Store

log = logging.getLogger("kedge.controller")
TTL = 15.0  # seconds a heartbeat keeps a replica alive (Kubernetes leader election: 15 s)
INTERVAL = 3.0  # seconds between heartbeats (for a TTL of 15 s; the same fraction of another)
SWEEP_EVERY = 100  # heartbeats between deletions of long-dead replicas' rows
CHANNEL = "kedge_replicas"  # NOTIFY channel: a replica joined or left


def instance_name() -> str:
    """A name for this process, unique even across restarts of one container."""
    return f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"


class Membership:
    def __init__(
        self,
        store: Store,
        *,
        name: str | None = None,
        ttl: float = TTL,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.store = store
        self.name = name or instance_name()
        self.ttl = ttl
        self.interval = interval if interval is not None else ttl * INTERVAL / TTL
        self._clock = clock
        self._on_change = on_change
        self._members: list[str] = []
        self._valid_until = float("-inf")
        self._beats = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what the loop asks ------------------------------------------------------------------

    def alive(self) -> bool:
        """Whether this replica's last successful heartbeat still counts."""
        return self._clock() < self._valid_until

    def members(self) -> list[str]:
        """The live replicas as last seen (this one included while it is alive)."""
        with self._lock:
            return list(self._members) if self.alive() else []

    def owns(self, app: str) -> bool:
        """Whether this replica should poll, watch and reconcile ``app`` now."""
        return owner(app, self.members()) == self.name

    # -- heartbeats ----------------------------------------------------------------------------

    def beat(self) -> bool:
        """One heartbeat and a fresh read of the live replicas; False when the store failed."""
        sent = self._clock()
        try:
            self.store.heartbeat(self.name, socket.gethostname(), os.getpid(), self.ttl)
            live = [r.name for r in self.store.replicas()]
            self._beats += 1
            if self._beats % SWEEP_EVERY == 1:
                self.store.forget_dead_replicas()
        except KedgeError as err:
            log.warning("heartbeat of replica %s failed: %s", self.name, err)
            return False
        if self.name not in live:  # the read raced a sweep: we are alive, we just said so
            live = sorted([*live, self.name])
        with self._lock:
            joined = self._beats == 1
            changed = live != self._members
            self._members = live
            self._valid_until = sent + self.ttl
        if joined:
            self.store.notify(CHANNEL, self.name)
        if changed and self._on_change is not None:
            self._on_change(live)
        return True

    def refresh(self) -> None:
        """Beat now (another replica said it joined or left) instead of at the next tick."""
        self._wake.set()

    def start(self) -> None:
        self.beat()
        self._thread = threading.Thread(target=self._run, name="kedge-membership", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if not self._stop.is_set():
                self.beat()

    def leave(self, timeout: float = 5.0) -> None:
        """A clean shutdown: stop beating, hand every lease back and deregister, so the other
        replicas take this one's apps at once instead of after ``ttl``."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            self._valid_until = float("-inf")
        try:
            self.store.release_leases(self.name)
            self.store.leave(self.name)
            self.store.notify(CHANNEL, self.name)
        except KedgeError as err:  # the others will count it out when the heartbeat runs out
            log.warning("replica %s could not deregister: %s", self.name, err)
