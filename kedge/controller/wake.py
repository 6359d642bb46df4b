"""Wake an app on the replica that owns it.

A request that concerns an app (created, changed, synced, a webhook) may reach any replica.
``wake(name, reason)`` queues the app here when this replica owns it, and otherwise tells the
other replicas (``NOTIFY``), whose ``receive`` queues it on the owner. Notifications are best
effort: the owner also finds unfinished operations and changed apps on its own every few
seconds, so a lost one only delays the work.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from kedge.controller.membership import Membership
from kedge.controller.queue import WorkQueue
from kedge.model import KedgeError
from kedge.store import Store

log = logging.getLogger("kedge.controller")
CHANNEL = "kedge_wake"
DELETED = "deleted"  # the reason that makes every replica forget the app


class Wake:
    def __init__(
        self,
        store: Store,
        membership: Membership,
        queue: WorkQueue,
        on_deleted: Callable[[str], None],
        on_queued: Callable[[str], None] = lambda name: None,
    ) -> None:
        self.store = store
        self.membership = membership
        self.queue = queue
        self.on_deleted = on_deleted
        self.on_queued = on_queued

    def __call__(self, name: str, reason: str) -> None:
        if self.membership.owns(name):
            self.on_queued(name)
            self.queue.add(name, reason=reason)
        else:
            self.others(name, reason)

    def others(self, name: str, reason: str) -> None:
        try:
            self.store.notify(CHANNEL, json.dumps({"app": name, "reason": reason}))
        except KedgeError as err:  # the owner finds the work on its own a little later
            log.info("could not wake app %s on its replica: %s", name, err)

    def receive(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            name, reason = str(message["app"]), str(message["reason"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed wake-up notification")
            return
        if reason == DELETED:
            self.on_deleted(name)
        elif self.membership.owns(name):
            self.on_queued(name)
            self.queue.add(name, reason=reason)
