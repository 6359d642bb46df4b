"""A table as desired (parsed and checked from the spec) and as it is (read from the catalog).

``read_tables`` reads every requested table of one database in one query (columns,
constraints, indexes and comments as JSON). ``state_of`` turns a live table into the observed
state the engine compares: where PostgreSQL's form means the same as the spec (``int4`` vs
``integer``, a default written ``'x'::text``, a list in another order), the spec's own spelling
is echoed back, so only real differences show as drift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kedge.model import ConfigError
from kedge.providers.postgres.conn import Connections
from kedge.providers.postgres.names import check_comment, check_identifier, parse_comment
from kedge.providers.postgres.types import ColumnType, Default, parse_default, parse_live_default, parse_type

# Set-based (CTEs joined on the table oid, descriptions joined rather than looked up per row):
# a thousand tables cost one query, not a thousand.
_QUERY = """
WITH t AS (
  SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND (n.nspname, c.relname) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
), cols AS (
  SELECT a.attrelid, json_agg(json_build_object('name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod), 'notnull', a.attnotnull,
      'default', pg_get_expr(d.adbin, d.adrelid), 'identity', a.attidentity,
      'comment', ds.description) ORDER BY a.attnum) AS j
  FROM t JOIN pg_attribute a ON a.attrelid = t.oid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_description ds ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass
       AND ds.objsubid = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped GROUP BY a.attrelid
), cons AS (
  SELECT k.conrelid, json_agg(json_build_object('name', k.conname, 'type', k.contype,
      'columns', (SELECT json_agg(an.attname ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
                  JOIN pg_attribute an ON an.attrelid = k.conrelid AND an.attnum = u.num),
      'refschema', rn.nspname, 'reftable', rc.relname,
      'refcolumns', (SELECT json_agg(an.attname ORDER BY u.ord)
                     FROM unnest(k.confkey) WITH ORDINALITY u(num, ord)
                     JOIN pg_attribute an ON an.attrelid = k.confrelid AND an.attnum = u.num),
      'ondelete', k.confdeltype, 'onupdate', k.confupdtype) ORDER BY k.conname) AS j
  FROM t JOIN pg_constraint k ON k.conrelid = t.oid
  LEFT JOIN pg_class rc ON rc.oid = k.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
  WHERE k.contype IN ('p', 'u', 'f') GROUP BY k.conrelid
), idx AS (
  SELECT x.indrelid, json_agg(json_build_object('name', i.relname, 'unique', x.indisunique,
      'columns', (SELECT json_agg(coalesce(an.attname, '(expression)') ORDER BY u.ord)
                  FROM unnest(x.indkey::int2[]) WITH ORDINALITY u(num, ord)
                  LEFT JOIN pg_attribute an ON an.attrelid = x.indrelid AND an.attnum = u.num
                  WHERE u.ord <= x.indnkeyatts),
      'special', x.indpred IS NOT NULL OR x.indexprs IS NOT NULL OR am.amname <> 'btree',
      'constraint', k.oid IS NOT NULL) ORDER BY i.relname) AS j
  FROM t JOIN pg_index x ON x.indrelid = t.oid JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_am am ON am.oid = i.relam
  LEFT JOIN pg_constraint k
         ON k.conindid = x.indexrelid AND k.conrelid = t.oid AND k.contype IN ('p', 'u', 'x')
  GROUP BY x.indrelid
)
SELECT t.nspname, t.relname, td.description, cols.j, cons.j, idx.j FROM t
LEFT JOIN pg_description td ON td.objoid = t.oid AND td.classoid = 'pg_class'::regclass AND td.objsubid = 0
LEFT JOIN cols ON cols.attrelid = t.oid LEFT JOIN cons ON cons.conrelid = t.oid
LEFT JOIN idx ON idx.indrelid = t.oid
"""

ACTIONS = {"a": "noAction", "r": "restrict", "c": "cascade", "n": "setNull", "d": "setDefault"}
IDENTITY = {"a": "always", "d": "byDefault"}


@dataclass
class Column:
    name: str
    type: ColumnType | str  # str: a type Kedge does not manage, shown as PostgreSQL prints it
    nullable: bool = True
    default: Default | None = None
    identity: str | None = None
    primary_key: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "noAction"
    on_update: str = "noAction"

    def same_as(self, other: ForeignKey) -> bool:
        named = self.name is None or other.name is None or self.name == other.name
        return named and (
            self.columns,
            self.ref_schema,
            self.ref_table,
            self.ref_columns,
            self.on_delete,
            self.on_update,
        ) == (
            other.columns,
            other.ref_schema,
            other.ref_table,
            other.ref_columns,
            other.on_delete,
            other.on_update,
        )


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool = False
    backs_constraint: bool = False
    special: bool = False  # partial, expression or non-btree: not something Kedge declares


@dataclass
class Table:
    schema: str
    name: str
    columns: list[Column] = field(default_factory=list)
    pk_name: str | None = None
    uniques: list[tuple[str | None, tuple[str, ...]]] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    comment: str | None = None
    owner: str | None = None

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def pk_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.primary_key)


def read_tables(
    conns: Connections, database: str, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Table]:
    """Every table of ``keys`` (schema, name) that exists in ``database``, in one query."""
    if not keys:
        return {}
    schemas = [k[0] for k in keys]
    names = [k[1] for k in keys]
    rows = conns.query(database, _QUERY, [schemas, names], "Table")
    return {(r[0], r[1]): _live(r) for r in rows}


def _live(row: tuple[Any, ...]) -> Table:
    schema, name, comment, columns, constraints, indexes = row
    mark = parse_comment(comment)
    table = Table(schema, name, comment=mark.user_comment, owner=mark.app)
    for c in columns or []:
        try:
            ctype: ColumnType | str = parse_type(c["type"], "")
        except ConfigError:
            ctype = c["type"]
        default = None if c["identity"] else parse_live_default(c["default"])
        table.columns.append(
            Column(
                c["name"],
                ctype,
                not c["notnull"],
                default,
                IDENTITY.get(c["identity"] or ""),
                False,
                c["comment"],
            )
        )
    for k in constraints or []:
        cols = tuple(k["columns"] or ())
        if k["type"] == "p":
            table.pk_name = k["name"]
            for col in table.columns:
                col.primary_key = col.name in cols
        elif k["type"] == "u":
            table.uniques.append((k["name"], cols))
        else:
            table.foreign_keys.append(
                ForeignKey(
                    k["name"],
                    cols,
                    k["refschema"],
                    k["reftable"],
                    tuple(k["refcolumns"] or ()),
                    ACTIONS.get(k["ondelete"], "noAction"),
                    ACTIONS.get(k["onupdate"], "noAction"),
                )
            )
    for i in indexes or []:
        table.indexes.append(
            Index(i["name"], tuple(i["columns"] or ()), i["unique"], i["constraint"], i["special"])
        )
    return table


def parse_table(spec: Mapping[str, Any], schema: str, name: str, where: str) -> Table:
    """The desired table, every field checked; ConfigError names the field."""
    table = Table(schema, name, comment=check_comment(spec.get("comment"), f"{where}: comment"))
    seen: set[str] = set()
    columns = spec.get("columns")
    if not isinstance(columns, list) or not columns:
        raise ConfigError(f"{where}: columns: a table needs at least one column")
    for i, c in enumerate(columns):
        at = f"{where}: columns[{i}]"
        if not isinstance(c, Mapping):
            raise ConfigError(f"{at}: expected a mapping")
        cname = check_identifier(c.get("name"), f"{at}.name")
        if cname in seen:
            raise ConfigError(f"{at}.name: column {cname!r} is declared twice")
        seen.add(cname)
        identity = c.get("identity")
        if identity not in (None, "always", "byDefault"):
            raise ConfigError(f"{at}.identity: one of always, byDefault")
        default = parse_default(c.get("default"), f"{at}.default")
        if identity and default is not None:
            raise ConfigError(f"{at}.default: an identity column has no default")
        pk = bool(c.get("primaryKey", False))
        nullable = bool(c.get("nullable", True)) and not pk and not identity
        table.columns.append(
            Column(
                cname,
                parse_type(c.get("type"), f"{at}.type"),
                nullable,
                default,
                identity,
                pk,
                check_comment(c.get("comment"), f"{at}.comment"),
            )
        )
    for i, u in enumerate(spec.get("uniqueConstraints") or []):
        at = f"{where}: uniqueConstraints[{i}]"
        uname = check_identifier(u["name"], f"{at}.name") if u.get("name") is not None else None
        table.uniques.append((uname, _columns(u.get("columns"), seen, f"{at}.columns")))
    for i, x in enumerate(spec.get("indexes") or []):
        at = f"{where}: indexes[{i}]"
        table.indexes.append(
            Index(
                check_identifier(x.get("name"), f"{at}.name"),
                _columns(x.get("columns"), seen, f"{at}.columns"),
                bool(x.get("unique", False)),
            )
        )
    for i, f in enumerate(spec.get("foreignKeys") or []):
        at = f"{where}: foreignKeys[{i}]"
        ref = f.get("references") or {}
        fname = check_identifier(f["name"], f"{at}.name") if f.get("name") is not None else None
        ref_schema = check_identifier(ref.get("schema", schema), f"{at}.references.schema")
        ref_table = check_identifier(ref.get("table"), f"{at}.references.table")
        ref_cols = tuple(check_identifier(x, f"{at}.references.columns") for x in ref.get("columns") or [])
        cols = _columns(f.get("columns"), seen, f"{at}.columns")
        if len(ref_cols) != len(cols):
            raise ConfigError(f"{at}.references.columns: expected {len(cols)} column(s) like columns")
        actions = []
        for key in ("onDelete", "onUpdate"):
            value = f.get(key, "noAction")
            if value not in ACTIONS.values():
                raise ConfigError(f"{at}.{key}: one of {', '.join(ACTIONS.values())}")
            actions.append(value)
        table.foreign_keys.append(ForeignKey(fname, cols, ref_schema, ref_table, ref_cols, *actions))
    return table


def _columns(value: Any, known: set[str], where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: list at least one column")
    out = tuple(check_identifier(v, where) for v in value)
    for v in out:
        if v not in known:
            raise ConfigError(f"{where}: {v!r} is not a column of this table")
    return out


def same_column(desired: Column, live: Column, spec: Mapping[str, Any]) -> bool:
    return (
        desired.type == live.type
        and desired.nullable == live.nullable
        and desired.identity == live.identity
        and desired.primary_key == live.primary_key
        and _same_default(desired.default, live.default)
        and ("comment" not in spec or desired.comment == live.comment)
    )


def _same_default(a: Default | None, b: Default | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.same_as(b)


def column_spec(col: Column) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": col.name,
        "type": str(col.type),
        "nullable": col.nullable,
        "primaryKey": col.primary_key,
    }
    if col.default is not None:
        out["default"] = col.default.to_spec()
    if col.identity:
        out["identity"] = col.identity
    if col.comment is not None:
        out["comment"] = col.comment
    return out


def state_of(live: Table, desired: Table, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The observed state, in the spec's own spelling wherever the two mean the same."""
    specs = {c.get("name"): c for c in spec.get("columns") or [] if isinstance(c, Mapping)}
    columns: list[Any] = []
    for want in desired.columns:
        have = live.column(want.name)
        if have is not None:
            same = same_column(want, have, specs[want.name])
            columns.append(specs[want.name] if same else column_spec(have))
    columns += [column_spec(c) for c in live.columns if desired.column(c.name) is None]

    def echo(key: str, same: bool, observed: list[dict[str, Any]]) -> Any:
        return spec.get(key) if same and key in spec else observed

    uniques_same = len(desired.uniques) == len(live.uniques) and all(
        any(_same_unique(d, x) for x in live.uniques) for d in desired.uniques
    )
    declared = [i for i in live.indexes if not i.backs_constraint]
    indexes_same = len(desired.indexes) == len(declared) and all(
        any(
            d.name == x.name and d.columns == x.columns and d.unique == x.unique and not x.special
            for x in declared
        )
        for d in desired.indexes
    )
    fks_same = len(desired.foreign_keys) == len(live.foreign_keys) and all(
        any(d.same_as(x) for x in live.foreign_keys) for d in desired.foreign_keys
    )
    state: dict[str, Any] = {
        "database": spec.get("database"),
        "schema": spec.get("schema", live.schema),
        "columns": columns,
        "uniqueConstraints": echo(
            "uniqueConstraints", uniques_same, [{"name": n, "columns": list(c)} for n, c in live.uniques]
        ),
        "indexes": echo(
            "indexes",
            indexes_same,
            [{"name": i.name, "columns": list(i.columns), "unique": i.unique} for i in declared],
        ),
        "foreignKeys": echo("foreignKeys", fks_same, [_fk_spec(f) for f in live.foreign_keys]),
        "comment": spec.get("comment") if live.comment == desired.comment else live.comment,
    }
    if "database" not in spec:
        del state["database"]
    return state


def _same_unique(d: tuple[str | None, tuple[str, ...]], x: tuple[str | None, tuple[str, ...]]) -> bool:
    return d[1] == x[1] and (d[0] is None or d[0] == x[0])


def _fk_spec(f: ForeignKey) -> dict[str, Any]:
    return {
        "name": f.name,
        "columns": list(f.columns),
        "references": {"schema": f.ref_schema, "table": f.ref_table, "columns": list(f.ref_columns)},
        "onDelete": f.on_delete,
        "onUpdate": f.on_update,
    }
