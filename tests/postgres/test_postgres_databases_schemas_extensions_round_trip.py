"""Database, Schema, Extension: apply -> no drift; out-of-band changes are seen and reverted."""

import pytest

from kedge.model import ConfigError


def test_database_round_trips_and_reverts(kit):
    owner = kit.target("Role", kit.n("owner"), {})
    kit.apply(owner)
    db = kit.target(
        "Database", kit.n("db"), {"owner": owner.external_id, "encoding": "utf-8", "connectionLimit": 20}
    )
    obs = kit.apply(db)
    assert obs.owner == "testapp" and obs.outputs == {"name": db.external_id}
    assert kit.diff(db) == []  # utf-8 is UTF8: no false drift

    kit.sql(f'ALTER DATABASE "{db.external_id}" CONNECTION LIMIT 3')
    kit.sql(f'ALTER DATABASE "{db.external_id}" OWNER TO postgres')
    assert sorted(c.path for c in kit.diff(db)) == ["connectionLimit", "owner"]
    kit.apply(db)
    assert kit.diff(db) == []


def test_dropping_a_database_needs_allow_destructive(kit):
    db = kit.target("Database", kit.n("drop"), {})
    obs = kit.apply(db)
    with pytest.raises(ConfigError, match=r"Database/.*allow-destructive"):
        kit.client.delete(db, obs)
    assert kit.observe(db).exists
    allowed = kit.target("Database", db.external_id, {}, allow_destructive="true")
    kit.client.observe_many(
        "Schema", [kit.target("Schema", "s", {"database": db.external_id})]
    )  # holds a connection
    kit.client.delete(allowed, obs)
    assert not kit.observe(db).exists


def test_schema_round_trips_and_reverts(kit, pg_database):
    owner = kit.target("Role", kit.n("sowner"), {})
    kit.apply(owner)
    schema = kit.target("Schema", kit.n("s"), {"database": pg_database, "owner": owner.external_id})
    obs = kit.apply(schema)
    assert obs.owner == "testapp" and obs.outputs == {"name": schema.external_id, "database": pg_database}
    assert kit.diff(schema) == []
    kit.sql(f'ALTER SCHEMA "{schema.external_id}" OWNER TO postgres', pg_database)
    assert [c.path for c in kit.diff(schema)] == ["owner"]
    kit.apply(schema)
    assert kit.diff(schema) == []
    kit.client.delete(schema, kit.observe(schema))
    assert not kit.observe(schema).exists


def test_objects_in_a_missing_database_are_missing_not_errors(kit):
    schema = kit.target("Schema", kit.n("s"), {"database": kit.n("nodb")})
    assert not kit.observe(schema).exists


def test_extension_round_trips_and_reverts(kit, pg_database):
    kit.apply(kit.target("Schema", "ext", {"database": pg_database}))
    ext = kit.target("Extension", "hstore", {"database": pg_database, "schema": "ext"})
    obs = kit.apply(ext)
    assert obs.owner == "testapp" and obs.state["schema"] == "ext"
    assert kit.diff(ext) == []
    kit.sql("ALTER EXTENSION hstore SET SCHEMA public", pg_database)
    assert [c.path for c in kit.diff(ext)] == ["schema"]
    kit.apply(ext)
    assert kit.diff(ext) == []
    comment = kit.sql(
        "SELECT obj_description(oid, 'pg_extension') FROM pg_extension WHERE extname='hstore'", pg_database
    )
    assert comment[0][0].startswith("data type for storing sets")  # the extension's own text is kept
    kit.client.delete(ext, kit.observe(ext))
    assert not kit.observe(ext).exists


def test_extension_version_is_updated(kit, pg_database):
    ext = kit.target("Extension", "pg_trgm", {"database": pg_database, "version": "1.5"})
    kit.apply(ext)
    assert kit.observe(ext).state["version"] == "1.5"
    newer = kit.target("Extension", "pg_trgm", {"database": pg_database, "version": "1.6"})
    assert [c.path for c in kit.diff(newer)] == ["version"]
    kit.apply(newer)
    assert kit.diff(newer) == []
