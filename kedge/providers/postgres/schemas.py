"""Kind ``Schema``: namespaces inside a database, one query per database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from kedge.model import Observation, ResourceKey
from kedge.providers.base import FieldChange, Target
from kedge.providers.postgres.conn import Steps
from kedge.providers.postgres.handler import Handler, changed_fields, label, location
from kedge.providers.postgres.names import check_new_name, check_role_name, parse_comment

_QUERY = """
SELECT n.nspname, pg_get_userbyid(n.nspowner), obj_description(n.oid, 'pg_namespace')
FROM pg_namespace n WHERE n.nspname = ANY(%s)
"""


class SchemaHandler(Handler):
    kind = "Schema"

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        out: dict[ResourceKey, Observation] = {t.key: Observation.missing() for t in targets}
        for t, db, name, row in self.existing_rows(targets, _QUERY, "Schema"):
            state: dict[str, Any] = {"database": t.spec.get("database", db), "owner": row[1]}
            out[t.key] = Observation(
                True, state, {"name": name, "database": db}, owner=parse_comment(row[2]).app
            )
        return out

    def outputs(self, target: Target) -> dict[str, Any]:
        return {"name": target.external_id, "database": self.database(target)}

    def _owner(self, target: Target) -> str | None:
        owner = location(target, "owner")
        return None if owner is None else check_role_name(owner, f"{label(target)}: owner")

    def create_steps(self, target: Target) -> Steps:
        name = check_new_name(target.external_id, f"{label(target)}: name")
        schema = sql.Identifier(name)
        steps = Steps(database=self.database(target))
        owner = self._owner(target)
        if owner:
            steps.add(
                sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(schema, sql.Identifier(owner)), "owner"
            )
        else:
            steps.add(sql.SQL("CREATE SCHEMA {}").format(schema))
        self.comment_step(steps, target, sql.SQL("SCHEMA {}").format(schema))
        return steps

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        schema = sql.Identifier(self.name(target))
        steps = Steps(database=self.database(target))
        owner = self._owner(target)
        if "owner" in changed_fields(diff) and owner:
            steps.add(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, sql.Identifier(owner)), "owner")
        if observed.owner != self.app:
            self.comment_step(steps, target, sql.SQL("SCHEMA {}").format(schema))
        return steps

    def delete_steps(self, target: Target, observed: Observation) -> Steps:
        steps = Steps(database=self.database(target))
        # RESTRICT: a schema that still holds objects is not dropped (PostgreSQL says which).
        steps.add(sql.SQL("DROP SCHEMA {} RESTRICT").format(sql.Identifier(self.name(target))))
        return steps
