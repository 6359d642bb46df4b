"""The inventory: which app owns which real-world identity, and what was last applied to it.

An identity (provider, ProviderConfig, kind, external id) has at most one owner, enforced by a
unique constraint; a write that would give it a second owner raises ``ConflictError`` and
writes nothing. Entries keep the raw spec (references unresolved), never a resolved secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kedge.model import ConflictError, Identity, InventoryEntry, ResourceKey
from kedge.store.base import StoreBase, chunks, identity_columns, key_columns, row_identity, row_key
from kedge.store.intents import delete_intents
from kedge.store.records import document
from kedge.store.tables import InventoryRow

_KEY = ("app", "api_version", "kind", "name")
_IDENTITY = ("external_id", "identity_kind", "provider_config", "provider")
_OwnerKey = tuple[str, ResourceKey]
INVENTORY = cast(Table, InventoryRow.__table__)


class InventoryStore(StoreBase):
    def inventory(self, app: str) -> list[InventoryEntry]:
        """Everything ``app`` owns, ordered by key."""
        # Plain rows, not ORM objects: an app of 10,000 resources is read on every plan.
        columns = INVENTORY.c
        query = (
            select(INVENTORY)
            .where(columns.app == app)
            .order_by(columns.api_version, columns.kind, columns.name)
        )
        with self._read() as session:
            return [_entry(row) for row in session.execute(query)]  # type: ignore[arg-type]

    def owners(self, identities: Iterable[Identity]) -> dict[Identity, str]:
        """The owning app of each identity that has one (unowned ones are left out)."""
        identities = list(identities)
        if not identities:
            return {}
        with self._read() as session:
            return {identity: app for identity, (app, _key) in _owners(session, identities).items()}

    def apps_in_inventory(self) -> list[str]:
        with self._read() as session:
            return list(session.scalars(select(InventoryRow.app).distinct().order_by(InventoryRow.app)))

    def put_inventory(self, entry: InventoryEntry, *, clear_intent: int | None = None) -> None:
        """Insert or update ``entry`` by (app, key); ``clear_intent`` is cleared in the same
        transaction, so a crash cannot leave the object recorded twice or not at all."""
        self.put_inventory_many([entry], clear_intents=() if clear_intent is None else (clear_intent,))

    def put_inventory_many(
        self, entries: Iterable[InventoryEntry], *, clear_intents: Iterable[int] = ()
    ) -> None:
        """``put_inventory`` for many entries in one transaction: all are written or none."""
        latest = {(e.app, e.key): e for e in entries}  # the last word on a key wins
        batch = list(latest.values())
        rows = [_row(entry) for entry in batch]
        intent_ids = list(clear_intents)
        if not rows and not intent_ids:
            return
        with self._write() as session:
            _check_owners(session, batch)
            try:
                if rows:
                    _upsert(session, rows, self._now())
                delete_intents(session, intent_ids)
                session.flush()
            except IntegrityError:
                # Another writer took one of the identities between the check and the write.
                raise ConflictError(
                    "an identity in this write was claimed by another app at the same time; "
                    "nothing was recorded, retry to see which"
                ) from None

    def remove_inventory(self, app: str, key: ResourceKey) -> None:
        """Forget that ``app`` owns ``key`` (a no-op when it does not)."""
        self.remove_inventory_many(app, [key])

    def remove_inventory_many(self, app: str, keys: Iterable[ResourceKey]) -> None:
        columns = (InventoryRow.api_version, InventoryRow.kind, InventoryRow.name)
        with self._write() as session:
            for batch in chunks({(k.api_version, k.kind, k.name) for k in keys}):
                session.execute(
                    delete(InventoryRow).where(InventoryRow.app == app, tuple_(*columns).in_(batch))
                )


def _owners(session: Session, identities: Iterable[Identity]) -> dict[Identity, _OwnerKey]:
    columns = [getattr(InventoryRow, name) for name in _IDENTITY]
    wanted = {(i.external_id, i.kind, i.provider_config, i.provider) for i in identities}
    found: dict[Identity, _OwnerKey] = {}
    for batch in chunks(wanted):
        # Only the key columns: loading whole rows would decode every stored spec.
        query = select(
            InventoryRow.app, InventoryRow.api_version, InventoryRow.kind, InventoryRow.name, *columns
        ).where(tuple_(*columns).in_(batch))
        for app, api_version, kind, name, external_id, id_kind, config, provider in session.execute(query):
            found[Identity(provider, config, id_kind, external_id)] = (
                app,
                ResourceKey(api_version, kind, name),
            )
    return found


def _check_owners(session: Session, batch: Sequence[InventoryEntry]) -> None:
    """Raise ``ConflictError`` if any entry's identity belongs to someone else."""
    claimed: dict[Identity, _OwnerKey] = {}
    for entry in batch:
        other = claimed.setdefault(entry.identity, (entry.app, entry.key))
        if other != (entry.app, entry.key):
            raise ConflictError(_conflict(entry, other))
    existing = _owners(session, claimed)
    for entry in batch:
        owner = existing.get(entry.identity)
        if owner is not None and owner != (entry.app, entry.key):
            raise ConflictError(_conflict(entry, owner))


def _conflict(entry: InventoryEntry, owner: _OwnerKey) -> str:
    app, key = owner
    if app == entry.app:
        return (
            f"{entry.identity} is declared twice in app {app!r}, by {key} and {entry.key}: "
            "one object can be managed by one resource only"
        )
    return (
        f"{entry.identity} is owned by app {app!r} ({key}); app {entry.app!r} cannot manage it "
        f"as {entry.key}: remove it from one of the two apps"
    )


def _row(entry: InventoryEntry) -> dict[str, Any]:
    return {
        "app": entry.app,
        **key_columns(entry.key),
        **identity_columns(entry.identity),
        "spec": document(entry.spec, "spec"),
        "outputs": document(entry.outputs, "outputs"),
        "annotations": document(entry.annotations, "annotations"),
        "labels": document(entry.labels, "labels"),
        "adopted": bool(entry.adopted),
    }


def _upsert(session: Session, rows: list[dict[str, Any]], now: datetime) -> None:
    for row in rows:
        row["updated_at"] = now
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(INVENTORY)  # the table, not the model: Core's executemany is the fast path
    updated = {name: statement.excluded[name] for name in rows[0] if name not in _KEY}
    session.execute(statement.on_conflict_do_update(index_elements=list(_KEY), set_=updated), rows)


def _entry(row: InventoryRow) -> InventoryEntry:
    return InventoryEntry(
        app=row.app,
        key=row_key(row),
        identity=row_identity(row),
        spec=row.spec,
        outputs=row.outputs,
        annotations=row.annotations,
        labels=row.labels,
        adopted=row.adopted,
    )
