"""Applications: the controller's records of what to reconcile, and what it last saw.

An app's ``spec`` is written by whoever declares it (``source``: ``api`` for the API or CLI,
``config`` for the server's config file, ``git`` or ``app:<parent>`` for an app of apps); its
``status`` and flags are written by the controller and by operators (suspend, pin a revision
for a rollback), so ``put_app`` leaves them alone.
Specs keep their secret references unresolved; a resolved ``Secret`` is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import EllipsisType
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kedge.store.base import StoreBase
from kedge.store.records import APP_SOURCES, AppRecord, document
from kedge.store.tables import AppRow

APPS = cast(Table, AppRow.__table__)
_PARENT = re.compile(r"^app:\S+$")  # declared in git by the parent app named after the colon


class AppStore(StoreBase):
    def put_app(self, name: str, spec: Mapping[str, Any], *, source: str = "api") -> None:
        """Create ``name`` or replace its spec and source; status and flags are kept."""
        _check_name(name)
        if source not in APP_SOURCES and not (isinstance(source, str) and _PARENT.match(source)):
            raise ValueError(
                f"app source must be one of {sorted(APP_SOURCES)} or app:<parent>, not {source!r}"
            )
        if not isinstance(spec, Mapping):
            raise TypeError(f"the spec of app {name!r} must be a mapping, not {type(spec).__name__}")
        now = self._now()
        values = {"spec": document(spec, f"spec of app {name}"), "source": source, "updated_at": now}
        with self._write() as session:
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            statement = insert(APPS).values(
                name=name, status={}, suspended=False, pinned_revision=None, created_at=now, **values
            )
            session.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))

    def get_app(self, name: str) -> AppRecord | None:
        with self._read() as session:
            row = session.get(AppRow, name)
            return None if row is None else _record(row)

    def list_apps(self) -> list[AppRecord]:
        """Every app, by name."""
        with self._read() as session:
            return [_record(row) for row in session.scalars(select(AppRow).order_by(AppRow.name))]

    def delete_app(self, name: str) -> bool:
        """Forget the app record; False when there was none. Its inventory, history and events
        stay: deleting what it owns is the engine's job, and history outlives the app."""
        with self._write() as session:
            return bool(session.execute(delete(AppRow).where(AppRow.name == name)).rowcount)  # type: ignore[attr-defined]

    def set_app_status(self, name: str, status: Mapping[str, Any]) -> None:
        """Replace the app's status (sync, health, conditions, lastAppliedRevision, ...)."""
        if not isinstance(status, Mapping):
            raise TypeError(f"the status of app {name!r} must be a mapping, not {type(status).__name__}")
        self._update(name, {"status": document(status, f"status of app {name}")})

    def set_app_flags(
        self,
        name: str,
        *,
        suspended: bool | None = None,
        pinned_revision: str | EllipsisType | None = ...,
    ) -> None:
        """Suspend or resume the app, and pin it to a revision (``None`` unpins); an argument
        left out is left as it is."""
        values: dict[str, Any] = {}
        if suspended is not None:
            values["suspended"] = bool(suspended)
        if pinned_revision is not ...:
            if pinned_revision is not None and (not isinstance(pinned_revision, str) or not pinned_revision):
                raise ValueError(f"a pinned revision must be a non-empty string, not {pinned_revision!r}")
            values["pinned_revision"] = pinned_revision
        self._update(name, values)

    def _update(self, name: str, values: dict[str, Any]) -> None:
        values["updated_at"] = self._now()
        with self._write() as session:
            changed = session.execute(update(AppRow).where(AppRow.name == name).values(values)).rowcount  # type: ignore[attr-defined]
            if not changed:
                raise LookupError(f"no app named {name!r} in the state store")


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise ValueError(f"an app name must be a non-empty string without surrounding spaces, not {name!r}")


def _record(row: AppRow) -> AppRecord:
    return AppRecord(
        name=row.name,
        spec=row.spec,
        status=row.status,
        suspended=row.suspended,
        pinned_revision=row.pinned_revision,
        source=row.source,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
