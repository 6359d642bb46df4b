"""A de-duplicating, delaying work queue of app names (after client-go's workqueue).

- An app is in the queue at most once; adding it again keeps the earlier deadline.
- An app being processed is never handed to a second worker: if it is added meanwhile, it is
  marked dirty and comes back once ``done`` is called. So one app reconciles at a time, and a
  trigger that arrives during a reconcile is not lost.
- Triggers added while an app waits are merged (their reasons are kept, for history).

The clock is an argument so tests never sleep.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class _Entry:
    due: float
    seq: int
    name: str = field(compare=False)


class WorkQueue:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cond = threading.Condition()
        self._heap: list[_Entry] = []
        self._due: dict[str, float] = {}  # queued apps and their deadline
        self._reasons: dict[str, set[str]] = {}
        self._processing: set[str] = set()
        self._dirty: dict[str, float] = {}  # added while processing: deadline to requeue with
        self._seq = 0
        self._closed = False

    def add(self, name: str, delay: float = 0.0, reason: str = "") -> None:
        with self._cond:
            if self._closed:
                return
            due = self._clock() + max(0.0, delay)
            if reason:
                self._reasons.setdefault(name, set()).add(reason)
            if name in self._processing:
                self._dirty[name] = min(due, self._dirty.get(name, due))
                return
            if name in self._due and self._due[name] <= due:
                return
            self._push(name, due)

    def _push(self, name: str, due: float) -> None:
        self._due[name] = due
        self._seq += 1
        heapq.heappush(self._heap, _Entry(due, self._seq, name))
        self._cond.notify()

    def get(self, timeout: float | None = None) -> tuple[str, set[str]] | None:
        """The next due app and the reasons it was queued for; None on timeout or close."""
        deadline = None if timeout is None else self._clock() + timeout
        with self._cond:
            while not self._closed:
                now = self._clock()
                while self._heap and self._due.get(self._heap[0].name) != self._heap[0].due:
                    heapq.heappop(self._heap)  # superseded by an earlier deadline
                if self._heap and self._heap[0].due <= now:
                    entry = heapq.heappop(self._heap)
                    del self._due[entry.name]
                    self._processing.add(entry.name)
                    return entry.name, self._reasons.pop(entry.name, set())
                wait = self._heap[0].due - now if self._heap else None
                if deadline is not None:
                    left = deadline - now
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(wait)
            return None

    def done(self, name: str) -> None:
        with self._cond:
            self._processing.discard(name)
            if name in self._dirty:
                due = self._dirty.pop(name)
                if name not in self._due or self._due[name] > due:
                    self._push(name, due)

    def forget(self, name: str) -> None:
        """Drop a deleted app's pending work."""
        with self._cond:
            self._due.pop(name, None)
            self._dirty.pop(name, None)
            self._reasons.pop(name, None)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._due)

    def processing(self) -> set[str]:
        with self._cond:
            return set(self._processing)
