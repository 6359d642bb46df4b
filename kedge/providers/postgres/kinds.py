"""The kinds of ``postgres.kedge.dev/v1`` and their JSON Schemas (what ``kedge explain`` shows).

Every schema is strict (``additionalProperties: false``) and describes the spec once its values
are resolved: a field that names another object (``database``, ``owner``, ``role``...) may be
written ``{fromResource: ...}`` so the engine orders the two resources; ``password`` must come
from a secret reference (the provider refuses a literal).
"""

from __future__ import annotations

from typing import Any

from kedge.model import KindSpec

API_VERSION = "postgres.kedge.dev/v1"
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_$-]*$"


def _name(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": NAME_PATTERN, "maxLength": 63, "description": description}


def _strict(description: str, properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "properties": properties,
    }
    if required:
        schema["required"] = list(required)
    return schema


_names_list = {"type": "array", "items": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 63}}

ROLE = _strict(
    "A cluster-wide role (user or group). Its name is metadata.name or kedge.dev/external-name.",
    {
        "login": {"type": "boolean", "default": False, "description": "May log in (a user)."},
        "superuser": {"type": "boolean", "default": False, "description": "Bypasses every check."},
        "createdb": {"type": "boolean", "default": False, "description": "May create databases."},
        "createrole": {"type": "boolean", "default": False, "description": "May create roles."},
        "inherit": {
            "type": "boolean",
            "default": True,
            "description": "Uses the privileges of the roles it is a member of.",
        },
        "connectionLimit": {
            "type": "integer",
            "minimum": -1,
            "default": -1,
            "description": "Concurrent connections allowed; -1 means no limit.",
        },
        "password": {
            "type": "string",
            "minLength": 1,
            "description": "Password, from a secret reference only ({fromEnv: NAME} or "
            "{fromFile: PATH}). Set on create and whenever "
            "the referenced value changes; Kedge keeps a salted hash, never the value.",
        },
        "memberOf": {
            **_names_list,
            "description": "The complete list of roles this role is a member of.",
        },
    },
)

DATABASE = _strict(
    'A database. Dropping one is refused unless kedge.dev/allow-destructive is "true".',
    {
        "owner": _name("Role owning the database (default: the role Kedge connects as)."),
        "encoding": {
            "type": "string",
            "default": "UTF8",
            "description": "Character set; fixed at creation (a change replaces the database).",
        },
        "connectionLimit": {
            "type": "integer",
            "minimum": -1,
            "default": -1,
            "description": "Concurrent connections allowed; -1 means no limit.",
        },
    },
)

SCHEMA = _strict(
    "A schema (namespace) inside a database.",
    {
        "database": _name("Database holding the schema (default: the DSN's database)."),
        "owner": _name("Role owning the schema (default: the role Kedge connects as)."),
    },
)

_PRIVILEGE = {"type": "string", "pattern": "^[A-Za-z ]+$"}
GRANT = _strict(
    "Privileges of one role (or PUBLIC) on one kind of object. The list is exact: privileges the "
    "role holds beyond it are revoked, and `privileges: []` revokes everything (e.g. CONNECT and "
    "TEMPORARY that PUBLIC holds on every new database).",
    {
        "role": _name("The grantee: a role name, or PUBLIC."),
        "on": {
            "type": "string",
            "enum": [
                "database",
                "schema",
                "table",
                "allTablesInSchema",
                "sequence",
                "role",
                "defaultPrivileges",
            ],
            "description": "What the privileges apply to. `role`: membership in the roles of "
            "`objects`; `defaultPrivileges`: privileges on objects created later.",
        },
        "database": _name("The database (on: database), or the database holding the objects."),
        "schema": _name("The schema (on: schema) or the schema holding the objects; default public."),
        "objects": {
            **_names_list,
            "description": "Tables or sequences (on: table|sequence), or roles (on: role).",
        },
        "privileges": {
            "type": "array",
            "items": _PRIVILEGE,
            "description": "E.g. [SELECT, INSERT] or [ALL]; case does not matter.",
        },
        "withGrantOption": {
            "type": "boolean",
            "default": False,
            "description": "The grantee may grant them on (for on: role, WITH ADMIN OPTION).",
        },
        "objectType": {
            "type": "string",
            "enum": ["tables", "sequences", "functions", "types", "schemas"],
            "description": "on: defaultPrivileges: which objects created later the privileges cover.",
        },
        "forRole": _name(
            "on: defaultPrivileges: the role whose future objects are covered "
            "(default: the role Kedge connects as)."
        ),
    },
    ("role", "on"),
)

EXTENSION = _strict(
    "An extension installed in a database. Its name is metadata.name or kedge.dev/external-name.",
    {
        "database": _name("Database to install it in (default: the DSN's database)."),
        "schema": _name("Schema for its objects (default: the extension's own choice)."),
        "version": {"type": "string", "description": "Version to install or update to."},
    },
)

_COLUMN = _strict(
    "A column.",
    {
        "name": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 63},
        "type": {
            "type": "string",
            "description": "A PostgreSQL type: integer, bigint, text, varchar(20), numeric(10,2), "
            "timestamptz, uuid, jsonb, text[] ... Aliases (int4, varchar) are the same type.",
        },
        "nullable": {"type": "boolean", "default": True, "description": "false adds NOT NULL."},
        "default": {
            "description": "A literal (string, number, boolean) or {expression: now()} from an "
            "allow-list (now(), current_timestamp, current_date, gen_random_uuid() ...).",
            "anyOf": [
                {"type": ["string", "number", "boolean", "null"]},
                _strict("An allow-listed expression.", {"expression": {"type": "string"}}, ("expression",)),
            ],
        },
        "primaryKey": {"type": "boolean", "default": False, "description": "Part of the primary key."},
        "identity": {
            "type": "string",
            "enum": ["always", "byDefault"],
            "description": "GENERATED ALWAYS | BY DEFAULT AS IDENTITY (instead of serial).",
        },
        "comment": {"type": "string", "description": "COMMENT ON COLUMN."},
    },
    ("name", "type"),
)
_COLUMNS_LIST = {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": NAME_PATTERN}}

TABLE = _strict(
    "A table. Changes that lose data (dropping a column or the table, a narrowing type change, "
    "dropping a constraint or the index behind one) are refused unless the resource has "
    'kedge.dev/allow-destructive: "true". The plan shows the exact DDL.',
    {
        "database": _name("Database holding the table (default: the DSN's database)."),
        "schema": {**_name("Schema holding the table."), "default": "public"},
        "columns": {"type": "array", "minItems": 1, "items": _COLUMN, "description": "Columns, in order."},
        "uniqueConstraints": {
            "type": "array",
            "description": "UNIQUE constraints.",
            "items": _strict(
                "A unique constraint.",
                {
                    "name": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 63},
                    "columns": _COLUMNS_LIST,
                },
                ("columns",),
            ),
        },
        "indexes": {
            "type": "array",
            "description": "Indexes (not those behind constraints).",
            "items": _strict(
                "An index.",
                {
                    "name": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 63},
                    "columns": _COLUMNS_LIST,
                    "unique": {"type": "boolean", "default": False},
                },
                ("name", "columns"),
            ),
        },
        "foreignKeys": {
            "type": "array",
            "description": "FOREIGN KEY constraints.",
            "items": _strict(
                "A foreign key.",
                {
                    "name": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 63},
                    "columns": _COLUMNS_LIST,
                    "references": _strict(
                        "The referenced table and columns.",
                        {
                            "schema": {"type": "string", "pattern": NAME_PATTERN},
                            "table": {"type": "string", "pattern": NAME_PATTERN},
                            "columns": _COLUMNS_LIST,
                        },
                        ("table", "columns"),
                    ),
                    "onDelete": {
                        "type": "string",
                        "enum": ["noAction", "restrict", "cascade", "setNull", "setDefault"],
                    },
                    "onUpdate": {
                        "type": "string",
                        "enum": ["noAction", "restrict", "cascade", "setNull", "setDefault"],
                    },
                },
                ("columns", "references"),
            ),
        },
        "comment": {"type": "string", "description": "COMMENT ON TABLE."},
    },
    ("columns",),
)


def _kind(
    kind: str, schema: dict[str, Any], description: str, outputs: dict[str, str], **kw: Any
) -> KindSpec:
    return KindSpec(API_VERSION, kind, schema, description=description, outputs=outputs, **kw)


KINDS: dict[str, KindSpec] = {
    "Role": _kind(
        "Role",
        ROLE,
        ROLE["description"],
        {"name": "the role name"},
        sensitive=frozenset({"password"}),
        name_refs={"memberOf": "Role"},
    ),
    "Database": _kind(
        "Database",
        DATABASE,
        DATABASE["description"],
        {"name": "the database name"},
        replace_on=frozenset({"encoding"}),
        name_refs={"owner": "Role"},
    ),
    "Schema": _kind(
        "Schema",
        SCHEMA,
        SCHEMA["description"],
        {"name": "the schema name", "database": "the database holding it"},
        replace_on=frozenset({"database"}),
        name_refs={"database": "Database", "owner": "Role"},
    ),
    "Grant": _kind(
        "Grant",
        GRANT,
        GRANT["description"],
        {"role": "the grantee", "database": "the database", "schema": "the schema, if any"},
        replace_on=frozenset({"on", "role", "database"}),
        name_refs={"role": "Role", "database": "Database", "schema": "Schema", "objects": ("Table", "Role")},
    ),
    "Extension": _kind(
        "Extension",
        EXTENSION,
        EXTENSION["description"],
        {"name": "the extension name", "version": "the installed version", "database": "the database"},
        replace_on=frozenset({"database"}),
        name_refs={"database": "Database", "schema": "Schema"},
    ),
    "Table": _kind(
        "Table",
        TABLE,
        TABLE["description"],
        {"name": "the table name", "qualifiedName": "schema.table", "database": "the database holding it"},
        name_refs={"database": "Database", "schema": "Schema"},
    ),
}

SETTINGS_SCHEMA: dict[str, Any] = _strict(
    "Settings of a postgres ProviderConfig.",
    {
        "dsn": {
            "description": "libpq connection string or postgresql:// URL to the maintenance "
            "database, as a superuser or a role with CREATEROLE/CREATEDB; a secret reference allowed.",
            "type": "string",
        },
        "watch": {
            "type": "boolean",
            "default": False,
            "description": "Install an event trigger in each managed database that NOTIFYs Kedge "
            "of DDL and GRANT/REVOKE (needs a superuser); roles and databases are polled.",
        },
        "pollInterval": {
            "type": "number",
            "minimum": 0.1,
            "default": 2,
            "description": "Seconds between polls of roles and databases while watching.",
        },
        "statementTimeout": {
            "type": "integer",
            "minimum": 0,
            "default": 60000,
            "description": "statement_timeout in milliseconds for Kedge's sessions (0: none).",
        },
        "lockTimeout": {
            "type": "integer",
            "minimum": 0,
            "default": 10000,
            "description": "lock_timeout in milliseconds for Kedge's sessions (0: none).",
        },
        "connectTimeout": {"type": "integer", "minimum": 1, "default": 10, "description": "Seconds."},
    },
    ("dsn",),
)
