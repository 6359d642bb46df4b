"""Kind ``Extension``: CREATE/ALTER/DROP EXTENSION, one query per database."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from psycopg import sql

from kedge.model import ConfigError, Observation, ProviderError, ResourceKey
from kedge.providers.base import FieldChange, Target
from kedge.providers.postgres.conn import DatabaseMissing, Steps
from kedge.providers.postgres.handler import Handler, changed_fields, label, location, spec_of
from kedge.providers.postgres.names import check_identifier, parse_comment

_QUERY = """
SELECT e.extname, n.nspname, e.extversion, obj_description(e.oid, 'pg_extension')
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ANY(%s)
"""
_AVAILABLE = "SELECT comment FROM pg_available_extensions WHERE name = %s"
_VERSION = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ExtensionHandler(Handler):
    kind = "Extension"

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        out: dict[ResourceKey, Observation] = {t.key: Observation.missing() for t in targets}
        for t, db, name, (_, schema, version, comment) in self.existing_rows(targets, _QUERY, "Extension"):
            state: dict[str, Any] = {
                "database": t.spec.get("database", db),
                "schema": schema,
                "version": version,
            }
            outputs = {"name": name, "version": version, "database": db}
            out[t.key] = Observation(True, state, outputs, owner=parse_comment(comment).app)
        return out

    def _schema(self, target: Target) -> str | None:
        schema = location(target, "schema")
        return None if schema is None else check_identifier(schema, f"{label(target)}: schema")

    def _version(self, target: Target) -> str | None:
        version = spec_of(target).get("version")
        if version is None:
            return None
        if not isinstance(version, str) or not _VERSION.match(version):
            raise ConfigError(f"{label(target)}: version: {version!r} is not a version")
        return version

    def create_steps(self, target: Target) -> Steps:
        name = self.name(target)
        db = self.database(target)
        try:
            available = self.conns.query(db, _AVAILABLE, [name], label(target))
        except DatabaseMissing:
            available = [("",)]  # the database comes first in the same apply; PostgreSQL will tell
        if not available:
            raise ProviderError(f"{label(target)}: name: extension {name!r} is not available on the server")
        ext = sql.Identifier(name)
        parts: list[sql.Composable] = [sql.SQL("CREATE EXTENSION {}").format(ext)]
        schema = self._schema(target)
        if schema:
            parts.append(sql.SQL("SCHEMA {}").format(sql.Identifier(schema)))
        version = self._version(target)
        if version:
            parts.append(sql.SQL("VERSION {}").format(sql.Literal(version)))
        steps = Steps(database=db)
        steps.add(sql.SQL(" ").join(parts), "")
        self.comment_step(steps, target, sql.SQL("EXTENSION {}").format(ext), available[0][0] or None)
        return steps

    def outputs(self, target: Target) -> dict[str, Any]:
        return {"name": target.external_id, "database": self.database(target)}

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        ext = sql.Identifier(self.name(target))
        fields = changed_fields(diff)
        steps = Steps(database=self.database(target))
        schema, version = self._schema(target), self._version(target)
        if "schema" in fields and schema:
            steps.add(
                sql.SQL("ALTER EXTENSION {} SET SCHEMA {}").format(ext, sql.Identifier(schema)), "schema"
            )
        if "version" in fields and version:
            steps.add(sql.SQL("ALTER EXTENSION {} UPDATE TO {}").format(ext, sql.Literal(version)), "version")
        if observed.owner != self.app:
            self.comment_step(steps, target, sql.SQL("EXTENSION {}").format(ext))
        return steps

    def delete_steps(self, target: Target, observed: Observation) -> Steps:
        steps = Steps(database=self.database(target))
        steps.add(sql.SQL("DROP EXTENSION {} RESTRICT").format(sql.Identifier(self.name(target))))
        return steps
