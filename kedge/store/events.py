"""App events: drift found on a resource (open until reverted), syncs, and anything else the
controller wants on an app's timeline (``GET apps/{name}/events``).

A drift event is opened when the controller observes a difference and closed
(``mark_reverted``) when self-heal puts the resource back, so ``open_drift`` is what is wrong
right now. ``fields`` are the drifted paths with desired and actual values, already redacted
by the caller; a ``Secret`` in them is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from kedge.store.base import StoreBase, chunks
from kedge.store.records import DRIFT, Event, document
from kedge.store.tables import EventRow


class EventStore(StoreBase):
    def add_event(
        self,
        app: str,
        type: str,
        *,
        resource_kind: str | None = None,
        resource_name: str | None = None,
        fields: list[dict[str, Any]] | None = None,
        message: str | None = None,
        detected_at: datetime | None = None,
    ) -> int:
        """Record an event of ``app`` (``drift``, ``sync``, ...); returns its id."""
        for label, value in (("app", app), ("type", type)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"event {label} must be a non-empty string, not {value!r}")
        if fields is not None and not isinstance(fields, list):
            raise TypeError(f"event fields must be a list of objects, not {fields.__class__.__name__}")
        row = {
            "app": app,
            "type": type,
            "resource_kind": document(resource_kind, "event resource kind"),
            "resource_name": document(resource_name, "event resource name"),
            "fields": None if fields is None else document(fields, f"fields of {type} event"),
            "message": document(message, f"message of {type} event"),
            "detected_at": self._at(detected_at),
        }
        with self._write() as session:
            return int(session.execute(insert(EventRow).returning(EventRow.id), [row]).scalar_one())

    def mark_reverted(self, event_ids: Iterable[int], reverted_at: datetime | None = None) -> int:
        """Close drift events (self-heal put the resources back); returns how many were open."""
        when = self._at(reverted_at)
        closed = 0
        with self._write() as session:
            for batch in chunks(set(event_ids)):
                statement = (
                    update(EventRow)
                    .where(EventRow.id.in_(batch), EventRow.reverted_at.is_(None))
                    .values(reverted_at=when)
                )
                closed += session.execute(statement).rowcount  # type: ignore[attr-defined]
        return closed

    def open_drift(self, app: str) -> list[Event]:
        """The drift events of ``app`` not reverted yet, oldest first."""
        query = (
            select(EventRow)
            .where(EventRow.app == app, EventRow.type == DRIFT, EventRow.reverted_at.is_(None))
            .order_by(EventRow.id)
        )
        with self._read() as session:
            return [_event(row) for row in session.scalars(query)]

    def events(self, app: str, limit: int = 200) -> list[Event]:
        """The latest ``limit`` events of ``app``, newest first."""
        query = (
            select(EventRow)
            .where(EventRow.app == app)
            .order_by(EventRow.detected_at.desc(), EventRow.id.desc())
            .limit(limit)
        )
        with self._read() as session:
            return [_event(row) for row in session.scalars(query)]

    def count_events(self, type: str, *, app: str | None = None, open_only: bool = False) -> int:
        """How many events of ``type`` there are (of ``app``; only those not reverted): for metrics."""
        query = select(func.count()).select_from(EventRow).where(EventRow.type == type)
        if app is not None:
            query = query.where(EventRow.app == app)
        if open_only:
            query = query.where(EventRow.reverted_at.is_(None))
        with self._read() as session:
            return int(session.execute(query).scalar_one())


def _event(row: EventRow) -> Event:
    return Event(
        id=row.id,
        app=row.app,
        type=row.type,
        resource_kind=row.resource_kind,
        resource_name=row.resource_name,
        fields=row.fields,
        message=row.message,
        detected_at=row.detected_at,
        reverted_at=row.reverted_at,
    )
