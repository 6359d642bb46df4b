"""Notifications between replicas of one PostgreSQL store (``NOTIFY`` / ``LISTEN``).

A replica that queues an operation, records an event or publishes a stream message tells the
others with ``store.notify(channel, payload)``; each replica keeps one ``Listener`` connection
that hands what arrives to a callback. Delivery is best effort (a listener that reconnects
misses what was sent meanwhile), so notifications only wake replicas up early: the state itself
is always in the tables, and replicas also look there on their own schedule.

On SQLite (one replica per file) ``notify`` does nothing and no listener is started.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import text

from kedge.store.base import StoreBase

log = logging.getLogger("kedge.store")
PAYLOAD_LIMIT = 7900  # bytes: PostgreSQL refuses payloads of 8000 bytes or more
Callback = Callable[[str, str], None]


class NotifyStore(StoreBase):
    def notify(self, channel: str, payload: str) -> bool:
        """Send ``payload`` on ``channel`` to every listening replica; False when it is too big
        to send (the receivers then read the tables) or the store has no notifications."""
        if self.dialect != "postgresql" or len(payload.encode()) > PAYLOAD_LIMIT:
            return False
        with self._failures(), self._engine.begin() as connection:
            connection.execute(
                text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
            )
        return True

    def listener(self, channels: Sequence[str], callback: Callback) -> Listener | None:
        """A started ``Listener`` on ``channels``; None on SQLite."""
        if self.dialect != "postgresql":
            return None
        dsn = self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        listener = Listener(dsn, channels, callback)
        listener.start()
        return listener


class Listener:
    """A thread with its own connection that ``LISTEN``s and calls ``callback(channel, payload)``;
    it reconnects after a failure. ``ready`` is set once it listens (tests wait for it)."""

    def __init__(self, dsn: str, channels: Sequence[str], callback: Callback, retry: float = 1.0) -> None:
        self._dsn = dsn
        self._channels = list(channels)
        self._callback = callback
        self._retry = retry
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kedge-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg  # the PostgreSQL driver is only needed where a PostgreSQL store is used

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=10) as connection:
                    for channel in self._channels:
                        connection.execute(f'LISTEN "{channel}"')
                    self.ready.set()
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=0.5):
                            self._deliver(note.channel, note.payload)
            except psycopg.Error as exc:
                self.ready.clear()
                log.warning("listening for other replicas failed, retrying: %s", " ".join(str(exc).split()))
                self._stop.wait(self._retry)

    def _deliver(self, channel: str, payload: str) -> None:
        try:
            self._callback(channel, payload)
        except Exception:  # one bad message must not stop the listener
            log.exception("handling a notification on %s failed", channel)
