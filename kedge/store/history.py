"""Apply history: one run per apply or sync, one result per change it made or tried.

A run is ``running`` from ``start_run`` until ``finish_run``; a process that dies in between
leaves it so, and ``mark_interrupted_runs`` (called at start-up) names those ``interrupted``.
Diffs are stored as given: the caller passes them already redacted, and a ``Secret`` inside
one is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kedge.model import ResourceKey
from kedge.store.base import StoreBase, key_columns, row_key
from kedge.store.records import (
    INTERRUPTED,
    RESULT_OUTCOMES,
    RUN_OUTCOMES,
    RUNNING,
    Run,
    RunResult,
    document,
)
from kedge.store.tables import RunResultRow, RunRow

INTERRUPTED_MESSAGE = "Kedge stopped before this run finished; the next run observes before it acts"


class HistoryStore(StoreBase):
    def start_run(
        self,
        app: str,
        *,
        revision: str | None,
        trigger: str,
        actor: str,
        started_at: datetime | None = None,
    ) -> int:
        """Open a run of ``app``; returns its id."""
        row = RunRow(
            app=app,
            revision=document(revision, "revision"),
            trigger=document(trigger, "trigger"),
            actor=document(actor, "actor"),
            result=RUNNING,
            started_at=self._at(started_at),
        )
        with self._write() as session:
            session.add(row)
            session.flush()
            return row.id

    def record_result(
        self,
        run_id: int,
        key: ResourceKey,
        action: str,
        result: str,
        diff: list[dict[str, Any]] | None = None,
        error: str | None = None,
    ) -> None:
        """Record what happened to one change (``succeeded``, ``failed`` or ``skipped``)."""
        self.record_results(run_id, [RunResult(key, action, result, diff, error)])

    def record_results(self, run_id: int, results: Iterable[RunResult]) -> None:
        """``record_result`` for many changes in one transaction."""
        now = self._now()
        rows = [_result_row(run_id, i, r, now) for i, r in enumerate(results)]
        with self._write() as session:
            _require_run(session, run_id)
            if rows:
                session.execute(insert(RunResultRow), rows)

    def finish_run(
        self,
        run_id: int,
        result: str,
        summary: Mapping[str, int] | None = None,
        message: str | None = None,
        finished_at: datetime | None = None,
    ) -> None:
        """Close a run as ``succeeded``, ``failed`` or ``partial``."""
        if result not in RUN_OUTCOMES:
            raise ValueError(f"run result must be one of {sorted(RUN_OUTCOMES)}, not {result!r}")
        values = {
            "result": result,
            "summary": None if summary is None else document(summary, "summary"),
            "message": document(message, "message"),
            "finished_at": self._at(finished_at),
        }
        with self._write() as session:
            _require_run(session, run_id)
            session.execute(update(RunRow).where(RunRow.id == run_id).values(values))

    def runs(
        self,
        app: str,
        limit: int | None = None,
        *,
        with_results: bool = False,
        offset: int = 0,
        trigger: str | None = None,
    ) -> list[Run]:
        """The runs of ``app``, newest first (only those of ``trigger``, when given; ``offset``
        skips the newest ones: a page). Their ``results`` are loaded only when asked for
        (``run(id)`` always loads them): a run may hold thousands."""
        query = select(RunRow).where(RunRow.app == app).order_by(RunRow.started_at.desc(), RunRow.id.desc())
        if trigger is not None:
            query = query.where(RunRow.trigger == trigger)
        if offset:
            query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as session:
            rows = list(session.scalars(query))
            return [_run(session, row, with_results) for row in rows]

    def run(self, run_id: int) -> Run | None:
        with self._read() as session:
            row = session.get(RunRow, run_id)
            return None if row is None else _run(session, row, True)

    def mark_interrupted_runs(self, apps: Iterable[str] | None = None) -> int:
        """Name every unfinished run ``interrupted``; returns how many there were.

        Called at start-up, when no run can be in progress. Replicas sharing a database pass
        ``apps``: the apps this process is about to reconcile, whose runs elsewhere are over.
        """
        statement = (
            update(RunRow)
            .where(RunRow.result == RUNNING, RunRow.finished_at.is_(None))
            .values(result=INTERRUPTED, message=INTERRUPTED_MESSAGE)
        )
        if apps is not None:
            statement = statement.where(RunRow.app.in_(list(apps)))
        with self._write() as session:
            return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _require_run(session: Session, run_id: int) -> None:
    if session.get(RunRow, run_id) is None:
        raise LookupError(f"no run with id {run_id} in the state store")


def _result_row(run_id: int, index: int, result: RunResult, now: datetime) -> dict[str, Any]:
    if result.result not in RESULT_OUTCOMES:
        raise ValueError(f"change result must be one of {sorted(RESULT_OUTCOMES)}, not {result.result!r}")
    return {
        "run_id": run_id,
        **key_columns(result.key),
        "action": document(result.action, "action"),
        "result": result.result,
        "diff": None if result.diff is None else document(result.diff, f"diff of {result.key}"),
        "error": document(result.error, f"error of {result.key}"),
        "recorded_at": result.recorded_at or now,
    }


def _run(session: Session, row: RunRow, with_results: bool) -> Run:
    results: list[RunResult] = []
    if with_results:
        query = select(RunResultRow).where(RunResultRow.run_id == row.id).order_by(RunResultRow.id)
        results = [
            RunResult(
                key=row_key(r),
                action=r.action,
                result=r.result,
                diff=r.diff,
                error=r.error,
                recorded_at=r.recorded_at,
            )
            for r in session.scalars(query)
        ]
    return Run(
        id=row.id,
        app=row.app,
        revision=row.revision,
        trigger=row.trigger,
        actor=row.actor,
        result=row.result,
        started_at=row.started_at,
        finished_at=row.finished_at,
        summary=row.summary,
        message=row.message,
        results=results,
    )
