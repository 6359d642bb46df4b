"""App leases as the loop holds them: taken before a reconcile, renewed while it runs, handed
back after it, and the fence every write of the reconcile is checked against.

    with leases.hold("web") as lease:
        if lease is None:
            ...                      # another replica is reconciling it: come back shortly
        else:
            reconcile()              # every store write checks lease.generation

A renewer thread extends every held lease each ``ttl / 3`` seconds while this replica is
alive (``alive``: its membership heartbeat still counts), so a reconcile that outlasts ``ttl``
keeps its lease; a replica that is frozen or cut off stops renewing, its leases run out and
its writes are refused once another replica took over (``kedge.store.leases``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from kedge.model import KedgeError
from kedge.store import Lease, Store

log = logging.getLogger("kedge.controller")
TTL = 15.0  # seconds an app lease lasts without renewal


class Leases:
    def __init__(
        self, store: Store, holder: str, *, ttl: float = TTL, alive: Callable[[], bool] = lambda: True
    ) -> None:
        self.store = store
        self.holder = holder
        self.ttl = ttl
        self._alive = alive
        self._held: dict[str, Lease] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def hold(self, app: str) -> Iterator[Lease | None]:
        """The lease of ``app`` for the block, fencing this thread's writes; None when another
        replica holds it."""
        name = f"app:{app}"
        lease = self.store.acquire_lease(name, self.holder, self.ttl)
        if lease is None:
            yield None
            return
        with self._lock:
            self._held[name] = lease
        try:
            with self.store.fenced(lease):
                yield lease
        finally:
            with self._lock:
                self._held.pop(name, None)
            try:
                self.store.release_lease(name, self.holder)
            except KedgeError as err:  # it runs out by itself
                log.warning("could not hand back %s: %s", name, err)

    def held(self) -> list[str]:
        """The apps whose leases this replica holds now."""
        with self._lock:
            return sorted(name.removeprefix("app:") for name in self._held)

    def renew(self) -> list[str]:
        """Renew every held lease once; returns the apps whose lease was lost."""
        if not self._alive():
            return []  # counted out (or about to be): let the leases run out
        with self._lock:
            held = list(self._held.values())
        lost: list[str] = []
        for lease in held:
            try:
                renewed = self.store.renew_lease(lease, self.ttl)
            except KedgeError as err:
                log.warning("could not renew %s: %s", lease.name, err)
                continue
            if renewed is None:
                lost.append(lease.name.removeprefix("app:"))
                log.warning("lease %s was lost; the reconcile's writes will be refused", lease.name)
        return lost

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kedge-lease-renewer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            self.renew()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
