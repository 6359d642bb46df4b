"""Create intents: the write-ahead record that makes a create safe against ``kill -9``.

The engine stores an intent before it asks a provider to create an object and clears it once
the object is in the inventory (``put_inventory(..., clear_intent=id)`` does both at once). An
intent still present on the next run means the process died in between: the object may or may
not exist, so the engine observes it (and adopts what it finds) before creating anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from kedge.model import Identity, ResourceKey
from kedge.store.base import StoreBase, chunks, identity_columns, key_columns, row_identity, row_key
from kedge.store.records import Intent, document
from kedge.store.tables import IntentRow

IntentItem = tuple[ResourceKey, Identity, Mapping[str, Any]]  # key, identity, raw spec


class IntentStore(StoreBase):
    def add_intent(self, app: str, key: ResourceKey, identity: Identity, spec: Mapping[str, Any]) -> int:
        """Record that ``app`` is about to create ``identity`` as ``key``; returns the intent id."""
        return self.add_intents(app, [(key, identity, spec)])[0]

    def add_intents(self, app: str, items: Iterable[IntentItem]) -> list[int]:
        """``add_intent`` for many creates in one transaction; ids in the order of ``items``."""
        now = self._now()
        rows = [
            {
                "app": app,
                **key_columns(key),
                **identity_columns(identity),
                "spec": document(spec, f"spec of {key}"),
                "created_at": now,
            }
            for key, identity, spec in items
        ]
        if not rows:
            return []
        statement = insert(IntentRow).returning(IntentRow.id, sort_by_parameter_order=True)
        with self._write() as session:
            return list(session.scalars(statement, rows))

    def clear_intent(self, intent_id: int) -> None:
        """Forget an intent (a no-op when it is already gone)."""
        self.clear_intents([intent_id])

    def clear_intents(self, intent_ids: Iterable[int]) -> None:
        ids = list(intent_ids)
        if ids:
            with self._write() as session:
                delete_intents(session, ids)

    def intents(self, app: str) -> list[Intent]:
        """The intents ``app`` left behind, oldest first."""
        query = select(IntentRow).where(IntentRow.app == app).order_by(IntentRow.id)
        with self._read() as session:
            return [
                Intent(
                    id=row.id,
                    app=row.app,
                    key=row_key(row),
                    identity=row_identity(row),
                    spec=row.spec,
                    created_at=row.created_at,
                )
                for row in session.scalars(query)
            ]


def delete_intents(session: Session, intent_ids: Iterable[int]) -> None:
    for batch in chunks(set(intent_ids)):
        session.execute(delete(IntentRow).where(IntentRow.id.in_(batch)))
