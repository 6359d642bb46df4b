"""Operations: syncs and rollbacks requested through the API, shared by every replica.

The API answers a request with its operation at once (202); whichever replica owns the app
runs it and records how it ended, and any replica can answer ``GET`` for it. Finished
operations are pruned after a while, so the table stays small however long Kedge runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from kedge.store.base import StoreBase
from kedge.store.tables import OperationRow

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
FINISHED = (SUCCEEDED, FAILED)


@dataclass(frozen=True)
class OperationRecord:
    id: str
    app: str
    type: str  # sync | rollback
    actor: str
    revision: str | None
    prune: bool | None
    confirm_prune: bool
    state: str  # queued | running | succeeded | failed
    message: str
    replica: str | None
    created_at: datetime
    finished_at: datetime | None


class OperationStore(StoreBase):
    def add_operation(
        self,
        op_id: str,
        app: str,
        type: str,
        actor: str,
        *,
        revision: str | None = None,
        prune: bool | None = None,
        confirm_prune: bool = False,
    ) -> OperationRecord:
        row = OperationRow(
            id=op_id,
            app=app,
            type=type,
            actor=actor,
            revision=revision,
            prune=prune,
            confirm_prune=confirm_prune,
            state=QUEUED,
            message="",
            replica=None,
            created_at=self._now(),
            finished_at=None,
        )
        with self._write() as session:
            session.add(row)
            session.flush()
            return _record(row)

    def operation_record(self, op_id: str) -> OperationRecord | None:
        with self._read() as session:
            row = session.get(OperationRow, op_id)
            return None if row is None else _record(row)

    def claim_operation(self, app: str, replica: str) -> OperationRecord | None:
        """The oldest unfinished operation of ``app``, now ``running`` on ``replica``; None if none.

        Called by the app's lease holder: an operation still ``running`` then is one whose
        replica died or lost the app before it finished, and it runs again here."""
        with self._write() as session:
            row = session.scalars(
                select(OperationRow)
                .where(OperationRow.app == app, OperationRow.state.in_((QUEUED, RUNNING)))
                .order_by(OperationRow.created_at, OperationRow.id)
                .limit(1)
            ).first()
            if row is None:
                return None
            row.state, row.replica = RUNNING, replica
            session.flush()
            return _record(row)

    def has_unfinished_operations(self, app: str) -> bool:
        with self._read() as session:
            found = session.execute(
                select(OperationRow.id)
                .where(OperationRow.app == app, OperationRow.state.in_((QUEUED, RUNNING)))
                .limit(1)
            ).first()
            return found is not None

    def apps_with_unfinished_operations(self) -> set[str]:
        with self._read() as session:
            rows = session.execute(
                select(OperationRow.app).where(OperationRow.state.in_((QUEUED, RUNNING))).distinct()
            )
            return {row.app for row in rows}

    def finish_operation(self, op_id: str, state: str, message: str, revision: str | None = None) -> None:
        if state not in FINISHED:
            raise ValueError(f"an operation finishes as one of {FINISHED}, not {state!r}")
        values: dict[str, object] = {"state": state, "message": message[:4000], "finished_at": self._now()}
        if revision is not None:
            values["revision"] = revision
        with self._write() as session:
            session.execute(update(OperationRow).where(OperationRow.id == op_id).values(**values))

    def prune_operations(self, older_than: timedelta) -> int:
        """Delete operations that finished more than ``older_than`` ago; returns how many."""
        with self._write() as session:
            result = session.execute(
                delete(OperationRow).where(
                    OperationRow.state.in_(FINISHED), OperationRow.finished_at < self._now() - older_than
                )
            )
            return int(result.rowcount)  # type: ignore[attr-defined]


def _record(row: OperationRow) -> OperationRecord:
    return OperationRecord(
        row.id,
        row.app,
        row.type,
        row.actor,
        row.revision,
        row.prune,
        row.confirm_prune,
        row.state,
        row.message,
        row.replica,
        row.created_at,
        row.finished_at,
    )
