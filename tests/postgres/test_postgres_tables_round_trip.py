"""Table: apply -> no drift (type aliases included); out-of-band changes are seen and reverted."""

import pytest

from kedge.model import ConfigError

SPEC = {
    "columns": [
        {"name": "id", "type": "int8", "primaryKey": True, "identity": "byDefault"},
        {"name": "email", "type": "varchar(200)", "nullable": False, "comment": "login"},
        {"name": "name", "type": "text", "default": "it's"},
        {"name": "score", "type": "numeric(10,2)", "default": 0},
        {"name": "active", "type": "bool", "default": True},
        {"name": "created", "type": "timestamptz", "default": {"expression": "now()"}},
        {"name": "tags", "type": "text[]"},
        {"name": "team", "type": "int4"},
    ],
    "uniqueConstraints": [{"name": "users_email_key", "columns": ["email"]}],
    "indexes": [{"name": "users_name_idx", "columns": ["name", "score"]}],
    "comment": "People who log in",
}


@pytest.fixture
def teams(kit, pg_database):
    teams = kit.target(
        "Table",
        "teams",
        {"database": pg_database, "columns": [{"name": "id", "type": "integer", "primaryKey": True}]},
    )
    kit.apply(teams)
    return pg_database


def users(kit, db, **extra):
    spec = {**SPEC, "database": db, **extra}
    spec.setdefault(
        "foreignKeys",
        [
            {
                "name": "users_team_fk",
                "columns": ["team"],
                "references": {"table": "teams", "columns": ["id"]},
                "onDelete": "setNull",
            }
        ],
    )
    return kit.target("Table", "users", spec)


def test_table_round_trips_without_false_drift(kit, teams):
    table = users(kit, teams)
    obs = kit.apply(table)
    assert obs.exists and obs.owner == "testapp"
    assert obs.outputs == {"name": "users", "qualifiedName": "public.users", "database": teams}
    assert kit.diff(table) == []
    described = kit.sql(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.users'::regclass AND attnum > 0 ORDER BY attnum",
        teams,
    )
    assert [r[0] for r in described][:3] == ["bigint", "character varying(200)", "text"]
    comment = kit.sql("SELECT obj_description('public.users'::regclass, 'pg_class')", teams)[0][0]
    assert comment.startswith("People who log in\n")


@pytest.mark.parametrize(
    ("statement", "field"),
    [
        ("ALTER TABLE users ADD COLUMN extra int", "columns"),
        ("ALTER TABLE users ALTER COLUMN email DROP NOT NULL", "columns"),
        ("ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x'", "columns"),
        ("ALTER TABLE users ALTER COLUMN team TYPE bigint", "columns"),
        ("COMMENT ON COLUMN users.email IS 'changed'", "columns"),
        ("DROP INDEX users_name_idx", "indexes"),
        ("CREATE INDEX users_extra_idx ON users (team)", "indexes"),
        ("ALTER TABLE users DROP CONSTRAINT users_email_key", "uniqueConstraints"),
        ("ALTER TABLE users DROP CONSTRAINT users_team_fk", "foreignKeys"),
        ("COMMENT ON TABLE users IS 'something else'", "comment"),
    ],
)
def test_out_of_band_change_is_detected_and_reverted(kit, teams, statement, field):
    table = users(kit, teams)
    kit.apply(table)
    kit.sql(statement, teams)
    assert field in [c.path for c in kit.diff(table)]
    allowed = kit.target("Table", "users", dict(table.spec), allow_destructive="true")
    kit.apply(allowed)
    assert kit.diff(allowed) == []


def test_plan_shows_the_exact_ddl(kit, teams):
    table = users(kit, teams)
    kit.apply(table)
    changed = users(
        kit,
        teams,
        columns=[*SPEC["columns"], {"name": "age", "type": "smallint", "default": 18, "nullable": False}],
    )
    obs = kit.observe(changed)
    statements = kit.client.preview(changed, obs, kit.diff(changed))
    assert statements == ['ALTER TABLE "public"."users" ADD COLUMN "age" smallint DEFAULT 18 NOT NULL']
    kit.client.update(changed, obs, kit.diff(changed))
    assert kit.diff(changed) == []


def test_widening_a_type_is_not_destructive(kit, teams):
    table = users(kit, teams)
    kit.apply(table)
    cols = [dict(c, type="bigint") if c["name"] == "team" else c for c in SPEC["columns"]]
    wider = users(kit, teams, columns=cols, foreignKeys=[])
    kit.apply(wider)
    assert kit.diff(wider) == []


def test_adopting_an_existing_table_writes_the_mark(kit, pg_database):
    kit.sql("CREATE TABLE legacy (id integer)", pg_database)
    table = kit.target(
        "Table", "legacy", {"database": pg_database, "columns": [{"name": "id", "type": "int"}]}, adopt="true"
    )
    obs = kit.observe(table)
    assert obs.exists and obs.owner is None and kit.diff(table) == []
    kit.client.update(table, obs, [])
    assert kit.observe(table).owner == "testapp"


def test_dropping_a_table_needs_allow_destructive(kit, pg_database):
    table = kit.target("Table", "t1", {"database": pg_database, "columns": [{"name": "id", "type": "int"}]})
    obs = kit.apply(table)
    with pytest.raises(
        ConfigError, match=r"Table/t1: refusing a destructive change: .*dropping table public.t1"
    ):
        kit.client.delete(table, obs)
    assert kit.observe(table).exists
    kit.client.delete(kit.target("Table", "t1", dict(table.spec), allow_destructive="true"), obs)
    assert not kit.observe(table).exists
