"""An in-process event bus: the controller publishes, each open stream (SSE, UI) subscribes.

A slow subscriber never blocks the controller: each has a bounded queue and loses its oldest
events when full (a UI reloads the state it missed).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from kedge.controller.protocol import StreamEvent


class _Subscription:
    def __init__(self, bus: EventBus, size: int) -> None:
        self._bus = bus
        self._queue: queue.Queue[StreamEvent] = queue.Queue(maxsize=size)

    def put(self, event: StreamEvent) -> None:
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass

    def events(self, timeout: float | None = None) -> Iterator[StreamEvent]:
        while True:
            try:
                yield self._queue.get(timeout=timeout)
            except queue.Empty:
                return

    def close(self) -> None:
        self._bus.unsubscribe(self)


class EventBus:
    def __init__(self, size: int = 1000) -> None:
        self._size = size
        self._subs: set[_Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self) -> _Subscription:
        sub = _Subscription(self, self._size)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: _Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def publish(self, event: StreamEvent) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.put(event)
