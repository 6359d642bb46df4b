"""The operations registry: syncs and rollbacks requested through the API, kept in the store.

Any replica accepts a request (``request``) and answers with the operation at once; the replica
that owns the app runs it (``claim`` inside the app's lease, ``finish`` after), and any replica
can answer for it (``get``). Finished operations are pruned after ``KEEP``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kedge.controller.protocol import NotFound
from kedge.store import OperationRecord, Store

KEEP = timedelta(hours=24)  # finished operations are readable this long


@dataclass
class Operation:
    """A requested sync or rollback, as the reconcile that runs it sees it."""

    id: str
    app: str
    type: str  # sync | rollback
    actor: str
    revision: str | None = None
    prune: bool | None = None
    confirm_prune: bool = False


def view(record: OperationRecord) -> dict[str, Any]:
    """The API's shape of an operation."""
    return {
        "id": record.id,
        "app": record.app,
        "type": record.type,
        "actor": record.actor,
        "revision": record.revision,
        "state": record.state,
        "message": record.message,
        "replica": record.replica,
        "createdAt": record.created_at.isoformat(),
        "finishedAt": record.finished_at.isoformat() if record.finished_at else None,
    }


class Operations:
    def __init__(self, store: Store, replica: str) -> None:
        self.store = store
        self.replica = replica

    def request(
        self,
        app: str,
        type: str,
        actor: str,
        *,
        revision: str | None = None,
        prune: bool | None = None,
        confirm_prune: bool = False,
    ) -> dict[str, Any]:
        record = self.store.add_operation(
            uuid.uuid4().hex[:12],
            app,
            type,
            actor,
            revision=revision,
            prune=prune,
            confirm_prune=confirm_prune,
        )
        return view(record)

    def get(self, op_id: str) -> dict[str, Any]:
        record = self.store.operation_record(op_id)
        if record is None:
            raise NotFound(f"no operation {op_id!r}")
        return view(record)

    def claim(self, app: str) -> Operation | None:
        """The next operation of ``app`` to run here (the caller holds the app's lease)."""
        record = self.store.claim_operation(app, self.replica)
        if record is None:
            return None
        return Operation(
            record.id,
            record.app,
            record.type,
            record.actor,
            record.revision,
            record.prune,
            record.confirm_prune,
        )

    def pending(self, app: str) -> bool:
        return self.store.has_unfinished_operations(app)

    def finish(self, op: Operation, state: str, message: str, revision: str | None = None) -> None:
        self.store.finish_operation(op.id, state, message, revision)

    def prune(self) -> int:
        return self.store.prune_operations(KEEP)
