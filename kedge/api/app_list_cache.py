"""The app list, normalised once and shared by the requests that ask for it at the same time.

``GET /api/v1/apps`` is what dashboards and scripts poll; with a thousand apps, asking the
control plane and normalising every view costs several milliseconds, which fifty clients
polling at once turn into queues of hundreds. So the normalised list and its JSON are kept and
dropped as soon as anything may have changed it: any event from the control plane (a watcher
thread listens to the same subscription as the event stream), any change made through the API,
and in any case after ``ttl`` seconds, a bound for changes that send no event.

Not here: who may see which app (the route filters the shared list per token).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kedge.api.views import app_view, dumps
from kedge.controller.protocol import ControlPlane, Subscription

log = logging.getLogger("kedge.api")


class AppList:
    def __init__(
        self, control: ControlPlane, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._control = control
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._views: list[dict[str, Any]] | None = None
        self._body = b"[]"
        self._built = 0.0
        self._building = False
        self._last: tuple[list[dict[str, Any]], bytes] | None = None  # served while a rebuild runs
        self._generation = 0
        self._watcher: threading.Thread | None = None
        self._subscription: Subscription | None = None
        self._closed = False

    def fresh(self) -> tuple[list[dict[str, Any]], bytes] | None:
        """The shared list if it is still good, without calling the control plane."""
        self._watch()
        with self._lock:
            if self._views is not None and self._clock() - self._built < self._ttl:
                return self._views, self._body
        return None

    def get(self) -> tuple[list[dict[str, Any]], bytes]:
        """The normalised views, and all of them as JSON (built again if need be).

        One request rebuilds at a time; while it does, the others get the list as it was a
        moment ago instead of all rebuilding it at once (a queue of fifty rebuilds is what
        made the slowest answers slow).
        """
        self._watch()
        with self._lock:
            if self._views is not None and self._clock() - self._built < self._ttl:
                return self._views, self._body
            if self._building and self._last is not None:
                return self._last
            self._building = True
            generation = self._generation
        try:
            views = [app_view(v) for v in self._control.list_apps()]
            body = dumps(views)
        finally:
            with self._lock:
                self._building = False
        with self._lock:
            self._last = (views, body)
            if generation == self._generation:  # no change was reported while this was built
                self._views, self._body, self._built = views, body, self._clock()
        return views, body

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._views = None

    def close(self) -> None:
        self._closed = True
        subscription = self._subscription
        if subscription is not None:
            subscription.close()

    def _watch(self) -> None:
        if self._watcher is not None or self._closed:
            return
        with self._lock:
            if self._watcher is not None:
                return
            self._watcher = threading.Thread(target=self._listen, name="kedge-api-applist", daemon=True)
        self._watcher.start()

    def _listen(self) -> None:
        try:
            self._subscription = self._control.subscribe()
            while not self._closed:
                for _event in self._subscription.events(timeout=5.0):
                    self.invalidate()
        except Exception as err:  # the list then refreshes on its ttl only
            log.warning(
                "app list: change notifications stopped (%s); refreshing every %.1f s",
                type(err).__name__,
                self._ttl,
            )
        finally:
            if self._subscription is not None and not self._closed:
                self._subscription.close()
