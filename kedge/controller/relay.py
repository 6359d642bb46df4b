"""The live stream across replicas: what one replica publishes, every replica's subscribers see.

``SharedBus`` is the in-process ``EventBus`` that also sends each event to the other replicas
of the store (``NOTIFY``); what arrives from them (``receive``) goes to local subscribers only,
so nothing loops. An event too big for a notification is announced without its data (the UI
reloads what it shows). On SQLite there are no other replicas and nothing is sent.
"""

from __future__ import annotations

import json
import logging

from kedge.controller.bus import EventBus
from kedge.controller.protocol import StreamEvent
from kedge.model import KedgeError
from kedge.store import Store

log = logging.getLogger("kedge.controller")
CHANNEL = "kedge_stream"


class SharedBus(EventBus):
    def __init__(self, store: Store, origin: str, size: int = 1000) -> None:
        super().__init__(size)
        self._store = store
        self._origin = origin
        self._shared = store.dialect == "postgresql"

    def publish(self, event: StreamEvent) -> None:
        super().publish(event)
        if not self._shared:
            return
        message = {"origin": self._origin, "type": event.type, "app": event.app, "data": dict(event.data)}
        try:
            if not self._store.notify(CHANNEL, json.dumps(message, default=str)):
                message["data"] = {"truncated": True}
                self._store.notify(CHANNEL, json.dumps(message))
        except KedgeError as err:  # the stream is best effort; the state is in the store
            log.info("could not share a stream event with the other replicas: %s", err)

    def receive(self, payload: str) -> None:
        """An event another replica published (``payload`` as sent by ``publish``)."""
        try:
            message = json.loads(payload)
            if message.get("origin") == self._origin:
                return
            event = StreamEvent(str(message["type"]), str(message["app"]), dict(message.get("data") or {}))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignored a malformed stream notification")
            return
        super().publish(event)
