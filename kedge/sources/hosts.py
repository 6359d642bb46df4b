"""Per-host bookkeeping of network operations: how many run at once, and which hosts are down.

A git host that accepts connections and never answers holds each operation until libgit2's
timeout. Two things keep such a host from stalling every other app:

- ``HostSlots``: at most ``limit`` polls of one host run at once; a poll that finds its host's
  slots taken waits for the next tick instead of a thread;
- ``HostHealth``: after an operation on a host failed for want of an answer, workers do not
  ask that host again for ``cooldown`` seconds (they fail at once with a ``TemporaryError``
  and back off); the poller keeps probing it, and the first answer opens it again.

Both take the host part of a location's key; local repositories are never limited.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from kedge.model import TemporaryError
from kedge.sources.locations import Location

Clock = Callable[[], float]
DEFAULT_COOLDOWN = 30.0


def host_of(location: Location) -> str | None:
    """The host (with port) a location reaches over the network; None for a local repository."""
    if location.is_local:
        return None
    parts = urlsplit(location.key)
    return parts.netloc.rsplit("@", 1)[-1] or location.key


class HostSlots:
    """A non-blocking counter of operations in flight per host."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._busy: dict[str, int] = {}
        self._lock = threading.Lock()

    def try_acquire(self, host: str | None) -> bool:
        if host is None:
            return True
        with self._lock:
            if self._busy.get(host, 0) >= self.limit:
                return False
            self._busy[host] = self._busy.get(host, 0) + 1
            return True

    def release(self, host: str | None) -> None:
        if host is None:
            return
        with self._lock:
            left = self._busy.get(host, 0) - 1
            if left > 0:
                self._busy[host] = left
            else:
                self._busy.pop(host, None)


class HostHealth:
    """Hosts whose last operation went unanswered, and until when they are left alone."""

    def __init__(self, cooldown: float = DEFAULT_COOLDOWN, clock: Clock = time.monotonic) -> None:
        self.cooldown = cooldown
        self.clock = clock
        self._down: dict[str, tuple[float, str]] = {}  # host -> (retry after, what failed)
        self._lock = threading.Lock()

    def check(self, host: str | None) -> None:
        """Raise ``TemporaryError`` while ``host`` is in its cool-down."""
        if host is None:
            return
        with self._lock:
            entry = self._down.get(host)
        if entry is None:
            return
        until, why = entry
        left = until - self.clock()
        if left > 0:
            raise TemporaryError(
                f"{host} did not answer a moment ago ({why}); not asked again for {left:.0f}s", delay=left
            )

    def failed(self, host: str | None, why: str) -> None:
        if host is not None:
            with self._lock:
                self._down[host] = (self.clock() + self.cooldown, why[:300])

    def answered(self, host: str | None) -> None:
        if host is not None:
            with self._lock:
                self._down.pop(host, None)
