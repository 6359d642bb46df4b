"""Kind ``Database``: one query observes them all; CREATE/DROP DATABASE run outside transactions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from psycopg import sql

from kedge.model import ConfigError, Observation, ResourceKey
from kedge.providers.base import FieldChange, Target
from kedge.providers.postgres.conn import Step, Steps
from kedge.providers.postgres.handler import Handler, changed_fields, label, location, spec_of
from kedge.providers.postgres.names import check_new_name, check_role_name, parse_comment

_QUERY = """
SELECT d.datname, pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datconnlimit,
       shobj_description(d.oid, 'pg_database')
FROM pg_database d WHERE d.datname = ANY(%s)
"""
_ENCODING = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def _same_encoding(a: str, b: str) -> bool:
    def norm(x: str) -> str:
        return x.upper().replace("-", "").replace("_", "")

    return norm(a) == norm(b)


class DatabaseHandler(Handler):
    kind = "Database"

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        names = [self.name(t) for t in targets]
        rows = {r[0]: r for r in self.conns.query(None, _QUERY, [names], "Database")} if names else {}
        out: dict[ResourceKey, Observation] = {}
        for t, name in zip(targets, names, strict=True):
            row = rows.get(name)
            if row is None:
                out[t.key] = Observation.missing()
                continue
            _, owner, encoding, connlimit, comment = row
            desired_enc = t.spec.get("encoding")
            same = isinstance(desired_enc, str) and _same_encoding(desired_enc, encoding)
            state: dict[str, Any] = {
                "owner": owner,
                "encoding": desired_enc if same else encoding,
                "connectionLimit": connlimit,
            }
            out[t.key] = Observation(True, state, {"name": name}, owner=parse_comment(comment).app)
        return out

    def _owner(self, target: Target) -> str | None:
        owner = location(target, "owner")
        if owner is None:
            return None
        return check_role_name(owner, f"{label(target)}: owner")

    def create_steps(self, target: Target) -> Steps:
        name = check_new_name(target.external_id, f"{label(target)}: name")
        spec = spec_of(target)
        db = sql.Identifier(name)
        parts: list[sql.Composable] = [sql.SQL("CREATE DATABASE {}").format(db)]
        owner = self._owner(target)
        if owner:
            parts.append(sql.SQL("OWNER {}").format(sql.Identifier(owner)))
        encoding = spec.get("encoding", "UTF8")
        if not isinstance(encoding, str) or not _ENCODING.match(encoding):
            raise ConfigError(f"{label(target)}: encoding: {encoding!r} is not an encoding name")
        parts.append(sql.SQL("ENCODING {} TEMPLATE template0").format(sql.Literal(encoding)))
        limit = spec.get("connectionLimit", -1)
        parts.append(sql.SQL("CONNECTION LIMIT {}").format(sql.Literal(int(limit))))
        steps = Steps(transaction=False)
        steps.add(sql.SQL(" ").join(parts), "")
        self.comment_step(steps, target, sql.SQL("DATABASE {}").format(db))
        steps.undo.append(Step(sql.SQL("DROP DATABASE IF EXISTS {}").format(db)))
        return steps

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        name = self.name(target)
        db = sql.Identifier(name)
        fields = changed_fields(diff)
        spec = spec_of(target)
        steps = Steps()
        if "owner" in fields:
            owner = self._owner(target)
            if owner:
                steps.add(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(db, sql.Identifier(owner)), "owner")
        if "connectionLimit" in fields:
            limit = int(spec.get("connectionLimit", -1))
            steps.add(
                sql.SQL("ALTER DATABASE {} WITH CONNECTION LIMIT {}").format(db, sql.Literal(limit)),
                "connectionLimit",
            )
        if "encoding" in fields:
            raise ConfigError(
                f"{label(target)}: encoding: cannot change the encoding of an existing database"
            )
        if observed.owner != self.app:
            self.comment_step(steps, target, sql.SQL("DATABASE {}").format(db))
        return steps

    def delete_steps(self, target: Target, observed: Observation) -> Steps:
        name = self.name(target)
        steps = Steps(transaction=False)
        # Kedge's own watch sessions would keep the database busy.
        steps.add(
            sql.SQL(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = {} AND application_name = 'kedge-watch'"
            ).format(sql.Literal(name))
        )
        steps.add(
            sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)),
            destructive=f"dropping database {name} deletes all its data",
        )
        return steps
