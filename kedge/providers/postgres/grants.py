"""Kind ``Grant``: privileges on databases, schemas, tables, sequences, default privileges, and
role membership.

A Grant states the exact privileges one grantee (a role or PUBLIC) holds on its objects: what
is missing is granted, what is extra is revoked, so ``privileges: []`` for PUBLIC on a database
closes the CONNECT/TEMPORARY that every new database gives PUBLIC. ACLs are read with
``aclexplode`` in one query per kind of object per database. Grants carry no ownership mark
(PostgreSQL cannot comment on an ACL entry): a Grant is recognised by its content.

A Grant to the object's owner is the exception to "exact": an owner holds every privilege
implicitly (PostgreSQL shows them in the ACL as soon as any grant is made) and may grant itself
any it lost, so for the owner the list says what it holds at least; Kedge grants what is missing
and never revokes the rest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from kedge.model import ConfigError, Observation, ResourceKey
from kedge.providers.base import FieldChange, Target
from kedge.providers.postgres.conn import DatabaseMissing, Steps
from kedge.providers.postgres.handler import Handler, label, location, spec_of
from kedge.providers.postgres.names import (
    PRIVILEGES,
    check_identifier,
    check_role_name,
    normalise_privileges,
)

_GRANTEE = "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END"
_ACL = (
    "LEFT JOIN LATERAL (SELECT * FROM aclexplode({acl}) x WHERE x.grantee = 0 OR x.grantee IN "
    "(SELECT oid FROM pg_roles WHERE rolname = ANY(%(grantees)s))) a ON true"
)
_DATABASES = f"""
SELECT d.datname, NULL, {_GRANTEE}, a.privilege_type, a.is_grantable, pg_get_userbyid(d.datdba)
FROM pg_database d
{_ACL.format(acl="coalesce(d.datacl, acldefault('d', d.datdba))")}
WHERE d.datname = ANY(%(names)s)"""
_SCHEMAS = f"""
SELECT n.nspname, NULL, {_GRANTEE}, a.privilege_type, a.is_grantable, pg_get_userbyid(n.nspowner)
FROM pg_namespace n
{_ACL.format(acl="coalesce(n.nspacl, acldefault('n', n.nspowner))")}
WHERE n.nspname = ANY(%(names)s)"""
_RELACL = (
    "coalesce(c.relacl, acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::\"char\", c.relowner))"
)
_RELATIONS = f"""
SELECT n.nspname, c.relname || ':' || c.relkind::text, {_GRANTEE}, a.privilege_type, a.is_grantable,
       pg_get_userbyid(c.relowner)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
{_ACL.format(acl=_RELACL)}
WHERE n.nspname = ANY(%(names)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
UNION ALL SELECT n.nspname, '', NULL, NULL, NULL, NULL FROM pg_namespace n WHERE n.nspname = ANY(%(names)s)"""
_DEFAULTS = f"""
SELECT pg_get_userbyid(d.defaclrole) || ':' || coalesce(n.nspname, '') || ':' || d.defaclobjtype::text, NULL,
       {_GRANTEE}, a.privilege_type, a.is_grantable, NULL
FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
{_ACL.format(acl="d.defaclacl")}"""
_MEMBERS = """
SELECT m.rolname, r.rolname, am.admin_option FROM pg_auth_members am
JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
WHERE m.rolname = ANY(%s)"""

_TABLE_KINDS = set("rpvmf")
_DEFAULT_TYPES = {  # objectType -> (pg_default_acl code, privilege family, SQL word)
    "tables": ("r", "table", "TABLES"),
    "sequences": ("S", "sequence", "SEQUENCES"),
    "functions": ("f", "function", "FUNCTIONS"),
    "types": ("T", "type", "TYPES"),
    "schemas": ("n", "schema", "SCHEMAS"),
}


@dataclass(frozen=True)
class GrantSpec:
    grantee: str
    on: str
    database: str
    schema: str | None
    objects: tuple[str, ...]
    privileges: frozenset[str]
    grant_option: bool
    family: str  # which privilege words apply: database, schema, table, sequence...
    object_type: str | None = None  # on: defaultPrivileges
    for_role: str | None = None

    @property
    def grantee_sql(self) -> sql.Composable:
        return sql.SQL("PUBLIC") if self.grantee == "PUBLIC" else sql.Identifier(self.grantee)


def parse_grant(target: Target, default_db: str, current_user: str) -> GrantSpec | None:
    """The checked grant, or None when a name in it is not known yet (plan before apply)."""
    where = label(target)
    spec = spec_of(target)
    on = spec.get("on")
    role = location(target, "role")
    database = location(target, "database", default_db)
    schema = location(target, "schema", "public")
    if role is None or database is None or schema is None:
        return None
    grantee = check_role_name(role, f"{where}: role", allow_public=on != "role")
    database = check_identifier(database, f"{where}: database")
    objects = tuple(spec.get("objects") or ())
    raw_privileges = spec.get("privileges") or []
    grant_option = bool(spec.get("withGrantOption", False))
    if on == "role":
        if raw_privileges:
            raise ConfigError(f"{where}: privileges: not used with on: role (objects are the roles granted)")
        if not objects:
            raise ConfigError(f"{where}: objects: list the roles to grant membership in")
        members = tuple(check_role_name(o, f"{where}: objects[{i}]") for i, o in enumerate(objects))
        return GrantSpec(grantee, on, database, None, members, frozenset(), grant_option, "role")
    if on in ("table", "sequence"):
        if not objects:
            raise ConfigError(f"{where}: objects: list the {on}s the privileges apply to")
        objects = tuple(check_identifier(o, f"{where}: objects[{i}]") for i, o in enumerate(objects))
    elif objects:
        raise ConfigError(f"{where}: objects: not used with on: {on}")
    family: str
    object_type = None
    for_role = None
    if on == "database":
        family, schema = "database", None
    elif on == "schema":
        family = "schema"
    elif on in ("table", "allTablesInSchema"):
        family = "table"
    elif on == "sequence":
        family = "sequence"
    elif on == "defaultPrivileges":
        object_type = spec.get("objectType")
        if object_type not in _DEFAULT_TYPES:
            raise ConfigError(
                f"{where}: objectType: one of {', '.join(_DEFAULT_TYPES)} with on: defaultPrivileges"
            )
        family = _DEFAULT_TYPES[object_type][1]
        if object_type == "schemas" or spec.get("schema") is None:
            schema = None
        fr = location(target, "forRole", current_user)
        if fr is None:
            return None
        for_role = check_role_name(fr, f"{where}: forRole")
    else:
        raise ConfigError(f"{where}: on: {on!r} is not one of {', '.join(sorted(_ON))}")
    if schema is not None:
        schema = check_identifier(schema, f"{where}: schema")
    privileges = normalise_privileges(raw_privileges, family, f"{where}: privileges")
    return GrantSpec(
        grantee, on, database, schema, objects, privileges, grant_option, family, object_type, for_role
    )


_ON = {"database", "schema", "table", "allTablesInSchema", "sequence", "role", "defaultPrivileges"}

# held[(scope, object)][grantee][privilege] = grantable
Held = dict[tuple[str, str], dict[str, dict[str, bool]]]
# Under this key (never a valid role name) ``Held`` keeps the owner of each object.
_OWNER = " owner"


class GrantHandler(Handler):
    kind = "Grant"
    _current_user: str | None = None

    def current_user(self) -> str:
        if self._current_user is None:
            self._current_user = str(self.conns.query(None, "SELECT current_user")[0][0])
        return self._current_user

    def parse(self, target: Target) -> GrantSpec | None:
        return parse_grant(target, self.conns.maintenance_db, self.conns.user or self.current_user())

    def outputs(self, target: Target) -> dict[str, Any]:
        """The names the grant was applied with: a later delete reads them back."""
        g = self.parse(target)
        return {} if g is None else _outputs(g)

    # -- observe --------------------------------------------------------------------------

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        out: dict[ResourceKey, Observation] = {t.key: Observation.missing() for t in targets}
        parsed = [(t, self.parse(t)) for t in targets]
        known = [(t, g) for t, g in parsed if g is not None]
        grantees = sorted({g.grantee for _, g in known})
        groups: dict[tuple[str, str], list[tuple[Target, GrantSpec]]] = defaultdict(list)
        for t, g in known:
            if g.on in ("database", "role"):
                groups[("", g.on)].append((t, g))
            else:
                groups[(g.database, _family_query(g.on))].append((t, g))
        members: dict[str, dict[str, bool]] = defaultdict(dict)
        for (db, what), items in groups.items():
            if what == "role":
                for member, role, admin in self.conns.query(None, _MEMBERS, [grantees], "Grant"):
                    members[member][role] = admin
                for t, g in items:
                    out[t.key] = self._membership(t, g, members[g.grantee])
                continue
            if db:
                self._on_database(db)
            try:
                held = self._held(db or None, what, items, grantees)
            except DatabaseMissing:
                continue
            for t, g in items:
                out[t.key] = self._observation(t, g, held)
        return out

    def _held(
        self, db: str | None, what: str, items: list[tuple[Target, GrantSpec]], grantees: list[str]
    ) -> Held:
        if what == "database":
            query, names = _DATABASES, sorted({g.database for _, g in items})
        elif what == "schema":
            query, names = _SCHEMAS, sorted({g.schema or "" for _, g in items})
        elif what == "relations":
            query, names = _RELATIONS, sorted({g.schema or "" for _, g in items})
        else:
            query, names = _DEFAULTS, []
        held: Held = defaultdict(lambda: defaultdict(dict))
        params = {"names": names, "grantees": grantees}
        rows = self.conns.query(db, query, params, "Grant")  # type: ignore[arg-type]
        for scope, obj, grantee, privilege, grantable, owner in rows:
            entry = held[(scope, obj or "")]
            if grantee is not None:
                entry[grantee][privilege] = grantable
            if owner is not None:
                entry[_OWNER] = {owner: False}
        return held

    def _objects(self, g: GrantSpec, held: Held) -> list[tuple[str, str]] | None:
        """The (scope, object) keys the grant covers, or None when one of them does not exist."""
        if g.on == "database":
            keys = [(g.database, "")]
        elif g.on == "schema":
            keys = [(g.schema or "", "")]
        elif g.on in ("table", "sequence"):
            wanted = set("S") if g.on == "sequence" else _TABLE_KINDS
            present = {obj.rsplit(":", 1)[0]: obj for (scope, obj) in held if scope == g.schema and obj}
            keys = []
            for name in g.objects:
                obj = present.get(name)
                if obj is None or obj.rsplit(":", 1)[1] not in wanted:
                    return None
                keys.append((g.schema or "", obj))
            return keys
        elif g.on == "allTablesInSchema":
            if (g.schema or "", "") not in held:
                return None
            return [k for k in held if k[0] == g.schema and k[1] and k[1].rsplit(":", 1)[1] in _TABLE_KINDS]
        else:  # defaultPrivileges: an absent entry means PostgreSQL's built-in defaults
            return [(f"{g.for_role}:{g.schema or ''}:{_DEFAULT_TYPES[g.object_type or ''][0]}", "")]
        return keys if all(k in held for k in keys) else None

    def _observation(self, target: Target, g: GrantSpec, held: Held) -> Observation:
        keys = self._objects(g, held)
        if keys is None:
            return Observation.missing()
        sets = [held[k].get(g.grantee, {}) if k in held else self._builtin_default(g) for k in keys]
        if keys and all(g.grantee in held.get(k, {}).get(_OWNER, {}) for k in keys):
            # The owner holds every privilege implicitly and can take back any it loses: a Grant
            # to the owner says what it holds at least, and its other privileges are not drift.
            sets = [{p: v for p, v in s.items() if p in g.privileges} for s in sets]
        union = set().union(*sets) if sets else set()
        inter = set.intersection(*(set(s) for s in sets)) if sets else set(g.privileges)
        if not union and g.privileges and sets:
            return Observation.missing()
        desired = target.spec.get("privileges") or []
        if not sets or (union == inter == set(g.privileges)):
            privileges: Any = desired
        else:
            privileges = sorted(inter) + sorted(f"{p} (on some objects only)" for p in union - inter)
        flags = [s[p] for s in sets for p in s if p in g.privileges]
        option: Any = bool(flags) and all(flags) if (not flags or all(flags) or not any(flags)) else "mixed"
        state = {**_identity(target.spec), "privileges": privileges, "withGrantOption": option}
        return Observation(True, state, _outputs(g), owner=self.app)

    def _builtin_default(self, g: GrantSpec) -> dict[str, bool]:
        if g.schema is None and g.grantee == "PUBLIC" and g.object_type in ("functions", "types"):
            return {"EXECUTE" if g.object_type == "functions" else "USAGE": False}
        if g.grantee == g.for_role and g.schema is None:
            return dict.fromkeys(PRIVILEGES[g.family], False)
        return {}

    def _membership(self, target: Target, g: GrantSpec, held: Mapping[str, bool]) -> Observation:
        have = [o for o in g.objects if o in held]
        if not have:
            return Observation.missing()
        objects: Any = target.spec.get("objects") if len(have) == len(g.objects) else sorted(have)
        flags = [held[o] for o in have]
        option: Any = all(flags) if (all(flags) or not any(flags)) else "mixed"
        state = {**_identity(target.spec), "objects": objects, "withGrantOption": option}
        return Observation(True, state, _outputs(g), owner=self.app)

    # -- change ---------------------------------------------------------------------------

    def create_steps(self, target: Target) -> Steps:
        return self._steps(target, None)

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        return self._steps(target, observed)

    def _steps(self, target: Target, observed: Observation | None) -> Steps:
        g = self.parse(target)
        if g is None:
            raise ConfigError(f"{label(target)}: a name in the grant is not known yet")
        state = observed.state if observed is not None else {}
        steps = Steps(database=None if g.on in ("database", "role") else g.database, lock=_lock_key(g))
        if g.on == "role":
            have = set(state.get("objects") or ()) if observed else set()
            missing = [o for o in g.objects if o not in have] or list(g.objects)
            option = state.get("withGrantOption")
            if len(have) < len(g.objects) or (g.grant_option and option is not True):
                steps.add(
                    _membership_sql("GRANT", missing if not g.grant_option else g.objects, g), "objects"
                )
            if not g.grant_option and option not in (False, None):
                roles = sql.SQL(", ").join(sql.Identifier(o) for o in g.objects)
                steps.add(
                    sql.SQL("REVOKE ADMIN OPTION FOR {} FROM {}").format(roles, g.grantee_sql),
                    "withGrantOption",
                )
            return steps
        held_words = {str(p).split(" ")[0].upper() for p in state.get("privileges") or ()}
        same = observed is not None and state.get("privileges") == target.spec.get("privileges")
        option = state.get("withGrantOption")
        if g.privileges and (not same or (g.grant_option and option is not True)):
            steps.add(_privilege_sql(g, "GRANT", g.privileges, g.grant_option), "privileges")
        extras = held_words - g.privileges if observed is not None else set()
        if not g.privileges and observed is None:
            extras = set(PRIVILEGES[g.family])
        if extras:
            steps.add(
                _privilege_sql(g, "REVOKE", frozenset(extras & set(PRIVILEGES[g.family]))), "privileges"
            )
        if g.privileges and not g.grant_option and option not in (False, None):
            steps.add(_privilege_sql(g, "REVOKE GRANT OPTION FOR", g.privileges), "withGrantOption")
        return steps

    def delete_steps(self, target: Target, observed: Observation) -> Steps:
        g = self.parse(target)
        steps = Steps()
        if g is None:
            return steps
        steps.database = None if g.on in ("database", "role") else g.database
        steps.lock = _lock_key(g)
        if g.on == "role":
            steps.add(_membership_sql("REVOKE", g.objects, g), "objects")
        elif g.privileges:
            steps.add(_privilege_sql(g, "REVOKE", g.privileges), "privileges")
        return steps


    def shared_key(self, target: Target, steps: Steps) -> tuple[Any, ...] | None:
        """Creates that differ only in their grantee share one statement: ``GRANT ... TO r1,
        ..., rN`` rewrites the object's ACL once instead of N times. None: cannot be shared."""
        g = self.parse(target)
        if g is None or g.on == "role" or not g.privileges or len(steps.steps) != 1:
            return None
        return (g.on, g.database, g.schema, g.objects, g.privileges, g.grant_option, g.object_type,
                g.for_role, g.family)

    def shared_statement(self, targets: Sequence[Target]) -> sql.Composable:
        """The one GRANT for targets of one ``shared_key`` (the statement each would run, with
        every grantee)."""
        specs = [g for g in (self.parse(t) for t in targets) if g is not None]
        grantees = sql.SQL(", ").join(g.grantee_sql for g in specs)
        first = specs[0]
        return _privilege_sql(first, "GRANT", first.privileges, first.grant_option, grantees)


def _outputs(g: GrantSpec) -> dict[str, Any]:
    names = {"role": g.grantee, "database": g.database, "schema": g.schema, "forRole": g.for_role}
    return {k: v for k, v in names.items() if v is not None}


def _lock_key(g: GrantSpec) -> str | None:
    """Grants that rewrite one shared ACL are serialised (see ``Steps.lock``)."""
    if g.on == "role":
        return None
    if g.on == "database":
        return f"acl:database:{g.database}"
    return f"acl:{g.on}:{g.database}:{g.schema or ''}"


def _family_query(on: str) -> str:
    return {"schema": "schema", "defaultPrivileges": "default"}.get(on, "relations")


def _identity(spec: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("role", "on", "database", "schema", "objects", "objectType", "forRole")
    return {k: spec[k] for k in keys if k in spec}


def _membership_sql(verb: str, roles: Sequence[str], g: GrantSpec) -> sql.Composable:
    names = sql.SQL(", ").join(sql.Identifier(o) for o in roles)
    if verb == "GRANT":
        option = sql.SQL(" WITH ADMIN OPTION") if g.grant_option else sql.SQL("")
        return sql.SQL("GRANT {} TO {}{}").format(names, g.grantee_sql, option)
    return sql.SQL("REVOKE {} FROM {}").format(names, g.grantee_sql)


def _target_sql(g: GrantSpec) -> sql.Composable:
    if g.on == "database":
        return sql.SQL("DATABASE {}").format(sql.Identifier(g.database))
    if g.on == "schema":
        return sql.SQL("SCHEMA {}").format(sql.Identifier(g.schema or "public"))
    if g.on == "allTablesInSchema":
        return sql.SQL("ALL TABLES IN SCHEMA {}").format(sql.Identifier(g.schema or "public"))
    if g.on == "defaultPrivileges":
        return sql.SQL(_DEFAULT_TYPES[g.object_type or ""][2])
    word = "TABLE" if g.on == "table" else "SEQUENCE"
    objs = sql.SQL(", ").join(sql.Identifier(g.schema or "public", o) for o in g.objects)
    return sql.SQL(word + " {}").format(objs)


def _privilege_sql(
    g: GrantSpec,
    verb: str,
    privileges: frozenset[str],
    option: bool = False,
    grantees: sql.Composable | None = None,
) -> sql.Composable:
    words = sql.SQL(", ").join(sql.SQL(p) for p in sorted(privileges))  # type: ignore[arg-type]
    direction = sql.SQL("TO" if verb == "GRANT" else "FROM")
    statement = sql.SQL(verb + " {} ON {} {} {}{}").format(
        words,
        _target_sql(g),
        direction,
        grantees or g.grantee_sql,
        sql.SQL(" WITH GRANT OPTION" if option else ""),
    )
    if g.on != "defaultPrivileges":
        return statement
    prefix = sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {}").format(sql.Identifier(g.for_role or ""))
    if g.schema is not None:
        prefix = sql.SQL("{} IN SCHEMA {}").format(prefix, sql.Identifier(g.schema))
    return sql.SQL("{} {}").format(prefix, statement)
