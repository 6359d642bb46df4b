"""Notifications to HTTP webhooks: a Slack-compatible JSON body, HMAC-SHA256 signed.

Targets come from ``ServerConfig.spec.notifications``: ``{name, url, events, secret}`` with
events among ``sync-failed``, ``drift`` and ``degraded`` (all when omitted). Delivery runs on a
background thread and never blocks or fails a reconcile; the body carries no secret values
because it is built from redacted messages only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kedge.model.values import reveal

log = logging.getLogger("kedge.notify")
EVENTS = ("sync-failed", "drift", "degraded")


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    events: tuple[str, ...]
    secret: str | None


def targets_from_config(items: Sequence[Mapping[str, Any]]) -> list[Target]:
    out = []
    for i, item in enumerate(items):
        secret = reveal(item.get("secret"))
        out.append(
            Target(
                str(item.get("name") or f"target-{i}"),
                str(item["url"]),
                tuple(item.get("events") or EVENTS),
                str(secret) if secret else None,
            )
        )
    return out


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Notifier:
    def __init__(self, targets: Sequence[Target] = (), timeout: float = 5.0) -> None:
        self.targets = list(targets)
        self.timeout = timeout
        self._queue: queue.Queue[tuple[Target, bytes] | None] = queue.Queue(maxsize=1000)
        self._thread: threading.Thread | None = None
        self.sent = 0

    def send(self, event: str, app: str, text: str) -> None:
        for target in self.targets:
            if event not in target.events:
                continue
            body = json.dumps(
                {
                    "text": f"[kedge] {text}",
                    "event": event,
                    "app": app,
                    "time": datetime.now(UTC).isoformat(),
                }
            ).encode()
            try:
                self._queue.put_nowait((target, body))
            except queue.Full:
                log.warning("notification queue full; dropping %s for %s", event, app)
            self._start()

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="kedge-notify", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            target, body = item
            headers = {"Content-Type": "application/json", "User-Agent": "kedge"}
            if target.secret:
                headers["X-Kedge-Signature-256"] = sign(target.secret, body)
            request = urllib.request.Request(target.url, data=body, headers=headers, method="POST")  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=self.timeout):  # noqa: S310
                    self.sent += 1
            except Exception as err:
                log.warning("notification to %s failed: %s", target.name, err)

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=self.timeout)
