"""Kind ``Role``: cluster-wide roles, observed with one query for any number of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import sql

from kedge.model import ConfigError, Observation, ResourceKey, Secret
from kedge.providers.base import FieldChange, Target
from kedge.providers.postgres.conn import Steps
from kedge.providers.postgres.handler import Handler, changed_fields, label, spec_of
from kedge.providers.postgres.names import check_new_name, check_role_name, echo_list, parse_comment
from kedge.providers.postgres.passwords import AppliedPassword, fingerprint, fingerprint_key, scram_verifier

# Joins rather than per-row functions (shobj_description, ARRAY subqueries): 10,000 roles in
# one set-based query.
_QUERY = """
SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit,
       r.rolconnlimit, d.description, coalesce(m.groups, '{}')
FROM pg_roles r
LEFT JOIN pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_authid'::regclass
LEFT JOIN (SELECT am.member, array_agg(g.rolname ORDER BY g.rolname) AS groups
           FROM pg_auth_members am JOIN pg_roles g ON g.oid = am.roleid GROUP BY am.member) m
       ON m.member = r.oid
WHERE r.rolname = ANY(%s)
"""

# spec field -> (keyword when true, keyword when false, default)
_FLAGS = {
    "login": ("LOGIN", "NOLOGIN", False),
    "superuser": ("SUPERUSER", "NOSUPERUSER", False),
    "createdb": ("CREATEDB", "NOCREATEDB", False),
    "createrole": ("CREATEROLE", "NOCREATEROLE", False),
    "inherit": ("INHERIT", "NOINHERIT", True),
}


class RoleHandler(Handler):
    kind = "Role"

    @property
    def key(self) -> bytes:
        """The key of this ProviderConfig's password fingerprints (``passwords``)."""
        return fingerprint_key(self.conns.dsn)

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        names = [self.name(t) for t in targets]
        rows = {r[0]: r for r in self.conns.query(None, _QUERY, [names], "Role")} if names else {}
        out: dict[ResourceKey, Observation] = {}
        for t, name in zip(targets, names, strict=True):
            row = rows.get(name)
            out[t.key] = Observation.missing() if row is None else self._observation(t, row)
        return out

    def _observation(self, target: Target, row: tuple[Any, ...]) -> Observation:
        _, login, superuser, createdb, createrole, inherit, connlimit, comment, member_of = row
        mark = parse_comment(comment)
        desired_members = target.spec.get("memberOf")
        same_members = isinstance(desired_members, list) and set(desired_members) == set(member_of)
        state: dict[str, Any] = {
            "login": login,
            "superuser": superuser,
            "createdb": createdb,
            "createrole": createrole,
            "inherit": inherit,
            "connectionLimit": connlimit,
            "memberOf": echo_list(desired_members, member_of, same_members),
            "password": AppliedPassword(
                mark.extra.get("password") if mark.app == self.app else None, target.external_id, self.key
            ),
        }
        return Observation(True, state, {"name": target.external_id}, owner=mark.app)

    def _members(self, target: Target, spec: Mapping[str, Any]) -> list[str]:
        members = spec.get("memberOf") or []
        return [check_role_name(m, f"{label(target)}: memberOf[{i}]") for i, m in enumerate(members)]

    def _password(self, target: Target) -> str | None:
        value = target.spec.get("password")
        if value is None:
            return None
        if not isinstance(value, Secret):
            raise ConfigError(f"{label(target)}: password: use a secret reference (fromEnv, fromFile)")
        clear = value.reveal()
        if not isinstance(clear, str) or not clear:
            raise ConfigError(f"{label(target)}: password: the referenced value is empty")
        return clear

    def _options(self, spec: Mapping[str, Any], fields: set[str] | None) -> list[sql.Composable]:
        opts: list[sql.Composable] = []
        for name, (yes, no, default) in _FLAGS.items():
            if fields is None or name in fields:
                opts.append(sql.SQL(yes if spec.get(name, default) else no))
        if fields is None or "connectionLimit" in fields:
            limit = spec.get("connectionLimit", -1)
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < -1:
                raise ConfigError("connectionLimit: expected an integer >= -1")
            opts.append(sql.SQL("CONNECTION LIMIT {}").format(sql.Literal(limit)))
        return opts

    def _alter(
        self, steps: Steps, role: sql.Identifier, verb: str, opts: list[sql.Composable], field: str
    ) -> None:
        steps.add(sql.SQL(verb + " ROLE {} WITH {}").format(role, sql.SQL(" ").join(opts)), field)

    def _set_password(
        self, steps: Steps, verb: str, role: sql.Identifier, opts: list[sql.Composable], password: str
    ) -> None:
        secret = sql.SQL("PASSWORD {}").format(sql.Literal(scram_verifier(password)))
        shown = sql.SQL("PASSWORD {}").format(sql.Literal("(sensitive)"))
        template = sql.SQL(verb + " ROLE {} WITH {}")
        steps.add(
            template.format(role, sql.SQL(" ").join([*opts, secret])),
            "password",
            shown=template.format(role, sql.SQL(" ").join([*opts, shown])),
        )

    def create_steps(self, target: Target) -> Steps:
        name = check_new_name(target.external_id, f"{label(target)}: name")
        if name.upper() == "PUBLIC":
            raise ConfigError(f"{label(target)}: name: PUBLIC is reserved")
        spec = spec_of(target)
        role = sql.Identifier(name)
        steps = Steps()
        opts = self._options(spec, None)
        password = self._password(target)
        if password is not None:
            self._set_password(steps, "CREATE", role, opts, password)
        else:
            self._alter(steps, role, "CREATE", opts, "")
        for i, group in enumerate(self._members(target, spec)):
            steps.add(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), role), f"memberOf[{i}]")
        stored = fingerprint(password, name, self.key) if password is not None else None
        self.comment_step(steps, target, sql.SQL("ROLE {}").format(role), password=stored)
        return steps

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        name = self.name(target)
        spec = spec_of(target)
        role = sql.Identifier(name)
        fields = changed_fields(diff)
        steps = Steps()
        opts = self._options(spec, fields & {*_FLAGS, "connectionLimit"})
        password = self._password(target)
        new_password = password is not None and (
            "password" in fields or observed.state.get("password") != target.spec.get("password")
        )
        if new_password and password is not None:
            self._set_password(steps, "ALTER", role, opts, password)
        elif opts:
            self._alter(steps, role, "ALTER", opts, ",".join(sorted(fields & {*_FLAGS, "connectionLimit"})))
        if "memberOf" in fields:
            want = self._members(target, spec)
            have = observed.state.get("memberOf") or []
            for i, group in enumerate(want):
                if group not in have:
                    steps.add(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), role), f"memberOf[{i}]")
            for group in sorted(set(have) - set(want)):
                steps.add(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), role), "memberOf")
        if new_password or observed.owner != self.app:
            stored = fingerprint(password, name, self.key) if new_password and password is not None else None
            if stored is None and observed.owner == self.app:
                applied = observed.state.get("password")
                stored = applied.reveal() if isinstance(applied, AppliedPassword) else None
            self.comment_step(steps, target, sql.SQL("ROLE {}").format(role), password=stored)
        return steps

    def delete_steps(self, target: Target, observed: Observation) -> Steps:
        steps = Steps()
        steps.add(sql.SQL("DROP ROLE {}").format(sql.Identifier(self.name(target))))
        return steps
