"""The git poller: cheap "has the branch moved?" checks, in parallel, a few per host at a time.

    poller = Poller(sources, list_apps, on_moved=queue_commit, on_error=report)
    poller.tick()        # what the poller thread does every half second

Each app due for a poll gets one check in a daemon thread (at most ``threads`` at once, so a
check that never returns cannot hold the process at exit). At most ``per_host`` checks of
one host run at once; an app whose host is busy (a host that accepts connections and never
answers holds its checks until the timeout) waits for a later tick, so a hanging host delays
only its own apps. A failed check, whatever the error, is reported for its app through
``on_error`` and retried at the app's next poll; a check that succeeds again clears it.

Not for: fetching or rendering (the workers do that); deciding what to apply.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kedge.controller.fetch import Sources, in_daemon_thread
from kedge.controller.spec import AppSpec
from kedge.model import KedgeError
from kedge.sources.hosts import HostSlots

log = logging.getLogger("kedge.controller")
APP_LIST_REFRESH = 5.0  # seconds between re-reads of the app list
THREADS = 8
PER_HOST = 2

Clock = Callable[[], float]


@dataclass(frozen=True)
class Pollable:
    name: str
    spec: AppSpec
    seen: str  # the revision last attempted ("" when none)


class Poller:
    def __init__(
        self,
        sources: Sources,
        list_apps: Callable[[], list[Pollable]],
        *,
        on_moved: Callable[[str], None],
        on_error: Callable[[str, str | None], None],
        on_request: Callable[[], None] = lambda: None,
        threads: int = THREADS,
        per_host: int = PER_HOST,
        clock: Clock = time.monotonic,
    ) -> None:
        self.sources = sources
        self.list_apps = list_apps
        self.on_moved = on_moved
        self.on_error = on_error
        self.on_request = on_request
        self.clock = clock
        self.slots = HostSlots(per_host)
        self.threads = threading.BoundedSemaphore(threads)  # checks running at once
        self.apps_changed = threading.Event()
        self._apps: list[Pollable] = []
        self._refreshed: float | None = None
        self._heads: dict[str, tuple[str, float]] = {}  # app -> (last seen head, next poll at)
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        self._closed = False

    # -- what the controller tells it -------------------------------------------------------------

    def forget(self, name: str) -> None:
        """Poll ``name`` afresh (its spec changed, or it was deleted)."""
        with self._lock:
            self._heads.pop(name, None)
        self.apps_changed.set()

    def defer(self, name: str, delay: float) -> None:
        """Skip the next ``delay`` seconds of polls (a webhook's reconcile reads the head)."""
        with self._lock:
            self._heads[name] = ("", self.clock() + delay)

    # -- one tick ----------------------------------------------------------------------------------

    def tick(self) -> None:
        if self._closed:
            return
        now = self.clock()
        if self.apps_changed.is_set() or self._refreshed is None or now - self._refreshed > APP_LIST_REFRESH:
            self.apps_changed.clear()
            self._apps = self.list_apps()
            self._refreshed = now
        for app in self._apps:
            with self._lock:
                last, due = self._heads.get(app.name, (app.seen, 0.0))
                if now < due or app.name in self._in_flight:
                    continue
                host = self.sources.host(app.spec)
                if self._closed or not self.threads.acquire(blocking=False):
                    return  # every check thread is busy: the rest waits for a later tick
                if not self.slots.try_acquire(host):
                    self.threads.release()
                    continue  # this host's checks are all taken: a later tick
                self._in_flight.add(app.name)
            in_daemon_thread(self._check, app, last, host, name="kedge-poll")

    def _check(self, app: Pollable, last: str, host: str | None) -> None:
        head = last
        try:
            if host is not None:
                self.on_request()
            head = self.sources.head(app.spec, probe=True)
            self.on_error(app.name, None)
        except KedgeError as err:
            log.info("poll of %s failed: %s", app.name, err)
            self.on_error(app.name, str(err))
        except Exception as err:  # a poll never dies of one app's source: report it for that app
            log.exception("poll of %s failed unexpectedly", app.name)
            self.on_error(app.name, f"polling the source failed unexpectedly ({type(err).__name__}: {err})")
        finally:
            self.slots.release(host)
            self.threads.release()
            with self._lock:
                self._in_flight.discard(app.name)
                self._heads[app.name] = (head, self.clock() + app.spec.poll_interval)
        if last and head != last:
            self.on_moved(app.name)

    def close(self) -> None:
        with self._lock:
            self._closed = True
