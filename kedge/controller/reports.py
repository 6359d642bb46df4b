"""Background failures of an app (a poll, a crashed reconcile, a child app refused) recorded as
events of the app, once per distinct message, and published on the live stream.

A failure that repeats with the same message every few seconds is recorded once; ``None``
says it is over, so the next failure is recorded again. When the store is down the log keeps
it, and it is recorded once the store answers.
"""

from __future__ import annotations

import logging
import threading

from kedge.controller.bus import EventBus
from kedge.controller.protocol import StreamEvent
from kedge.model import KedgeError
from kedge.store import Store

log = logging.getLogger("kedge.controller")


class Reports:
    def __init__(self, store: Store, bus: EventBus) -> None:
        self.store = store
        self.bus = bus
        self._reported: dict[tuple[str, str, str], str] = {}  # (event type, app, about) -> last message
        self._lock = threading.Lock()

    def report(self, name: str, kind: str, message: str | None, about: str = "") -> None:
        """Record ``kind`` for app ``name`` (per ``about``, e.g. the child app refused)."""
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
        except KedgeError as err:  # the store is down (or the app moved away): the log keeps it
            log.warning("cannot record %s of %s: %s (%s)", kind, name, message, err)
            with self._lock:
                self._reported.pop(key, None)  # recorded once the store answers again
            return
        self.bus.publish(StreamEvent(kind, name, {"message": message[:2000]}))
