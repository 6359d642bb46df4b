"""What every kind's handler provides, and the functions they share.

A handler turns targets into catalog queries (``observe_many``: one query per kind per
database) and into ``Steps`` (create/update/delete). The client runs the steps, shows them in
the plan (``preview``) and gates destructive ones; handlers never execute DDL themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from psycopg import sql

from kedge.model import ConfigError, Observation, ResourceKey
from kedge.model.resource import CLAIM_ANNOTATION
from kedge.model.values import reveal
from kedge.providers.base import FieldChange, Target
from kedge.providers.postgres.conn import Connections, DatabaseMissing, Steps
from kedge.providers.postgres.names import check_identifier, render_comment


def label(target: Target) -> str:
    return f"{target.key.kind}/{target.key.name}"


def changed_fields(diff: Sequence[FieldChange]) -> set[str]:
    """Top-level spec fields a diff touches (``columns[2].type`` -> ``columns``)."""
    return {c.path.split(".", 1)[0].split("[", 1)[0] for c in diff}


def location(target: Target, key: str, default: str | None = None) -> str | None:
    """A name field of the spec; None while it is unknown (an output of a resource not created
    yet). A delete works from the inventory's spec, whose references are not resolved: the
    value the target had when applied is then read back from its outputs."""
    value = reveal(target.spec.get(key))
    if value is None:
        return default
    if isinstance(value, str):
        return value
    known = target.outputs.get(key)
    return known if isinstance(known, str) else None


class Handler:
    """Base of the per-kind handlers."""

    kind = ""

    def __init__(self, conns: Connections, app: str, on_database: Callable[[str], None] | None = None):
        self.conns = conns
        self.app = app
        self._on_database = on_database or (lambda _db: None)

    # -- contract -------------------------------------------------------------------------

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        raise NotImplementedError

    def create_steps(self, target: Target) -> Steps:
        raise NotImplementedError

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        raise NotImplementedError

    def delete_steps(self, target: Target, observed: Observation) -> Steps:
        raise NotImplementedError

    def recheck(self, target: Target, observed: Observation) -> None:
        """Raise ProviderError when the live object changed since ``observed`` was taken."""

    def outputs(self, target: Target) -> dict[str, Any]:
        return {"name": target.external_id}

    # -- shared ---------------------------------------------------------------------------

    def name(self, target: Target) -> str:
        return check_identifier(target.external_id, f"{label(target)}: name")

    def database(self, target: Target) -> str:
        """The database a target lives in (checked), the DSN's database by default."""
        db = location(target, "database", self.conns.maintenance_db)
        if db is None:
            raise ConfigError(f"{label(target)}: database: not known yet")
        return check_identifier(db, f"{label(target)}: database")

    def by_database(self, targets: Iterable[Target]) -> tuple[dict[str, list[Target]], list[Target]]:
        """Targets grouped by database; the second list holds those whose database is unknown."""
        groups: dict[str, list[Target]] = defaultdict(list)
        unknown: list[Target] = []
        for t in targets:
            db = location(t, "database", self.conns.maintenance_db)
            if db is None:
                unknown.append(t)
            else:
                groups[check_identifier(db, f"{label(t)}: database")].append(t)
        for db in groups:
            self._on_database(db)
        return groups, unknown

    def existing_rows(
        self, targets: Sequence[Target], query: str, kind: str
    ) -> Iterator[tuple[Target, str, str, tuple[Any, ...]]]:
        """(target, database, name, catalog row) for each target whose object exists.

        One catalog query per database for all of its targets (``query`` takes the names as
        its one parameter and returns rows whose first column is the name).
        """
        groups, _unknown = self.by_database(targets)
        for db, group in groups.items():
            names = [self.name(t) for t in group]
            try:
                rows = {r[0]: tuple(r) for r in self.conns.query(db, query, [names], kind)}
            except DatabaseMissing:
                continue
            for t, name in zip(group, names, strict=True):
                row = rows.get(name)
                if row is not None:
                    yield t, db, name, row

    def comment_step(
        self,
        steps: Steps,
        target: Target,
        object_sql: sql.Composable,
        user_comment: str | None = None,
        **extra: Any,
    ) -> None:
        """``COMMENT ON <object> IS '<user comment + Kedge's mark>'``; the mark names the app and,
        for a composed resource, its claim (``"claim": "Kind/name"``)."""
        claim = target.annotations.get(CLAIM_ANNOTATION)
        text = render_comment(self.app, user_comment, claim=claim, **extra)
        steps.add(sql.SQL("COMMENT ON {} IS {}").format(object_sql, sql.Literal(text)), "metadata")


def spec_of(target: Target) -> Mapping[str, Any]:
    """The desired spec with secrets revealed (for building statements only)."""
    value = reveal(target.spec)
    assert isinstance(value, Mapping)
    return value
