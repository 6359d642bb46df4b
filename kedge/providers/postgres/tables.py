"""Kind ``Table``: observe every table of a database in one query; plan and run exact DDL.

Before an update, the live table is read again and compared with what the plan saw: a table
changed in between is refused ("run plan again") instead of being altered blind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from psycopg import sql

from kedge.model import ConfigError, Observation, ProviderError, ResourceKey
from kedge.providers.base import FieldChange, Target
from kedge.providers.postgres.conn import DatabaseMissing, Steps
from kedge.providers.postgres.handler import Handler, changed_fields, label, location
from kedge.providers.postgres.names import check_identifier, check_new_name
from kedge.providers.postgres.table_ddl import alter_steps, create_steps
from kedge.providers.postgres.table_model import Table, parse_table, read_tables, state_of


class TableHandler(Handler):
    kind = "Table"

    def _schema(self, target: Target) -> str | None:
        schema = location(target, "schema", "public")
        return None if schema is None else check_identifier(schema, f"{label(target)}: schema")

    def desired(self, target: Target) -> Table:
        schema = self._schema(target)
        if schema is None:
            raise ConfigError(f"{label(target)}: schema: not known yet")
        # Table specs hold names, types and literals, never secrets: no need to reveal a copy.
        return parse_table(target.spec, schema, self.name(target), label(target))

    def outputs(self, target: Target) -> dict[str, Any]:
        schema = self._schema(target) or "public"
        return {
            "name": target.external_id,
            "qualifiedName": f"{schema}.{target.external_id}",
            "database": self.database(target),
        }

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        out: dict[ResourceKey, Observation] = {t.key: Observation.missing() for t in targets}
        groups, _unknown = self.by_database(targets)
        for db, group in groups.items():
            keyed: dict[tuple[str, str], list[Target]] = defaultdict(list)
            for t in group:
                schema = self._schema(t)
                if schema is not None:
                    keyed[(schema, self.name(t))].append(t)
            try:
                live = read_tables(self.conns, db, list(keyed))
            except DatabaseMissing:
                continue
            for key, ts in keyed.items():
                table = live.get(key)
                if table is None:
                    continue
                for t in ts:
                    out[t.key] = self._observation(t, table)
        return out

    def _observation(self, target: Target, live: Table) -> Observation:
        state = state_of(live, self.desired(target), target.spec)
        return Observation(True, state, self.outputs(target), owner=live.owner)

    def _read(self, target: Target) -> Table | None:
        schema = self._schema(target) or "public"
        try:
            return read_tables(self.conns, self.database(target), [(schema, self.name(target))]).get(
                (schema, self.name(target))
            )
        except DatabaseMissing:
            return None

    def recheck(self, target: Target, observed: Observation) -> None:
        live = self._read(target)
        now = None if live is None else state_of(live, self.desired(target), target.spec)
        if now != dict(observed.state):
            raise ProviderError(f"{label(target)}: the table changed since the plan was made; run plan again")

    def create_steps(self, target: Target) -> Steps:
        check_new_name(target.external_id, f"{label(target)}: name")
        want = self.desired(target)
        steps = Steps(database=self.database(target))
        create_steps(steps, want)
        self.comment_step(steps, target, self._rel(want), want.comment)
        return steps

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        want = self.desired(target)
        have = self._read(target)
        if have is None:
            raise ProviderError(f"{label(target)}: the table no longer exists; run plan again")
        steps = Steps(database=self.database(target))
        fields = changed_fields(diff)
        managed = {c.get("name") for c in target.spec.get("columns") or [] if "comment" in c}
        try:
            alter_steps(steps, have, want, fields, managed)  # type: ignore[arg-type]
        except ConfigError as exc:
            raise ConfigError(f"{label(target)}: {exc}") from None
        comment_changed = "comment" in fields and have.comment != want.comment
        if comment_changed or have.owner != self.app:
            keep = want.comment if "comment" in target.spec else have.comment
            self.comment_step(steps, target, self._rel(want), keep)
        return steps

    def delete_steps(self, target: Target, observed: Observation) -> Steps:
        schema = self._schema(target) or "public"
        steps = Steps(database=self.database(target))
        steps.add(
            sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, self.name(target))),
            destructive=f"dropping table {schema}.{self.name(target)} deletes its data",
        )
        return steps

    @staticmethod
    def _rel(table: Table) -> sql.Composable:
        return sql.SQL("TABLE {}").format(sql.Identifier(table.schema, table.name))
