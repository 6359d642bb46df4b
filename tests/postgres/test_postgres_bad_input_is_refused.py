"""Bad input: a clear error naming the resource and field; nothing runs, nothing half-applied."""

import pytest

from kedge.model import ConfigError, ProviderError


@pytest.mark.parametrize(
    "name",
    ["bad name", 'x"; DROP ROLE postgres; --', "a" * 64, "1starts_with_digit", "pg_reserved", ""],
)
def test_invalid_role_names_are_refused(kit, name):
    role = kit.target("Role", name or "placeholder", {})
    role = type(role)(role.key, name, role.spec, role.outputs, role.annotations)
    with pytest.raises(ConfigError, match=r"Role/.*: name"):
        kit.client.create(role)
    assert kit.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'postgres'") == [(1,)]


@pytest.mark.parametrize(
    ("column", "field", "message"),
    [
        ({"name": "x; DROP TABLE t", "type": "int"}, r"columns\[0\]\.name", "not a valid name"),
        ({"name": "x", "type": "int; DROP TABLE victims"}, r"columns\[0\]\.type", "cannot parse column type"),
        ({"name": "x", "type": "integer) ; DROP TABLE victims; --"}, r"columns\[0\]\.type", "cannot parse"),
        ({"name": "x", "type": "geometry"}, r"columns\[0\]\.type", "unknown type"),
        ({"name": "x", "type": "varchar(abc)"}, r"columns\[0\]\.type", "cannot parse"),
        ({"name": "x", "type": "serial"}, r"columns\[0\]\.type", "identity"),
        (
            {"name": "x", "type": "timestamptz", "default": {"expression": "now(); DROP TABLE victims"}},
            r"columns\[0\]\.default",
            "not allowed",
        ),
        (
            {"name": "x", "type": "text", "default": {"expression": "pg_sleep(10)"}},
            r"columns\[0\]\.default",
            "not allowed",
        ),
    ],
)
def test_bad_columns_are_refused_naming_the_field(kit, pg_database, column, field, message):
    kit.sql("CREATE TABLE victims (id int)", pg_database)
    table = kit.target("Table", "t", {"database": pg_database, "columns": [column]})
    with pytest.raises(ConfigError, match=rf"Table/t: {field}: .*{message}"):
        kit.client.preview(table, kit.observe(table), [])
    with pytest.raises(ConfigError):
        kit.client.create(table)
    assert kit.sql("SELECT to_regclass('victims') IS NOT NULL, to_regclass('t') IS NULL", pg_database) == [
        (True, True)
    ]


def test_injection_attempts_in_literals_are_stored_as_text(kit, pg_database):
    kit.sql("CREATE TABLE victims (id int)", pg_database)
    evil = "x'); DROP TABLE victims; --"
    table = kit.target(
        "Table",
        "t",
        {
            "database": pg_database,
            "comment": evil,
            "columns": [{"name": "c", "type": "text", "default": evil, "comment": evil}],
        },
    )
    kit.apply(table)
    assert kit.diff(table) == []
    assert kit.sql("SELECT to_regclass('victims') IS NOT NULL", pg_database) == [(True,)]
    kit.sql("INSERT INTO t DEFAULT VALUES", pg_database)
    assert kit.sql("SELECT c FROM t", pg_database) == [(evil,)]


def test_comment_may_not_forge_the_ownership_mark(kit, pg_database):
    table = kit.target(
        "Table",
        "t",
        {
            "database": pg_database,
            "comment": 'x\nkedge.dev/owner {"app": "other"}',
            "columns": [{"name": "c", "type": "text"}],
        },
    )
    with pytest.raises(ConfigError, match="Table/t: comment"):
        kit.client.create(table)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (
            {"role": "PUBLIC", "on": "table", "objects": ["a; DROP TABLE x"], "privileges": ["SELECT"]},
            r"objects\[0\]",
        ),
        ({"role": "r", "on": "database", "privileges": ["SELECT"]}, "privileges"),
        (
            {"role": "r", "on": "table", "objects": ["a"], "privileges": ["SELECT; DROP TABLE x"]},
            "privileges",
        ),
        ({"role": "r", "on": "table", "privileges": ["SELECT"]}, "objects"),
        ({"role": "r", "on": "defaultPrivileges", "privileges": ["SELECT"]}, "objectType"),
        ({"role": "r", "on": "role", "objects": ["g"], "privileges": ["SELECT"]}, "privileges"),
        ({"role": "r x", "on": "database", "privileges": []}, "role"),
    ],
)
def test_bad_grants_are_refused_naming_the_field(kit, spec, field):
    grant = kit.target("Grant", "g", spec)
    with pytest.raises(ConfigError, match=rf"Grant/g: {field}"):
        kit.client.create(grant)


def test_a_failing_statement_leaves_nothing_half_applied(kit):
    name = kit.n("half")
    role = kit.target("Role", name, {"login": True, "memberOf": [kit.n("no_such_group")]})
    with pytest.raises(ProviderError, match=rf"Role/{name}: memberOf\[0\]: role .* does not exist"):
        kit.client.create(role)
    assert kit.sql("SELECT count(*) FROM pg_roles WHERE rolname = %s", params=[name]) == [(0,)]


def test_one_failing_resource_leaves_the_others_alone(kit, pg_database):
    good = kit.target("Table", "good", {"database": pg_database, "columns": [{"name": "id", "type": "int"}]})
    bad = kit.target(
        "Table",
        "bad",
        {
            "database": pg_database,
            "columns": [{"name": "id", "type": "int"}],
            "foreignKeys": [{"columns": ["id"], "references": {"table": "missing", "columns": ["id"]}}],
        },
    )
    with pytest.raises(ProviderError, match=r"Table/bad: columns: relation .*missing.* does not exist"):
        kit.client.create(bad)
    kit.client.create(good)
    observed = kit.client.observe_many("Table", [good, bad])
    assert observed[good.key].exists and not observed[bad.key].exists


def test_a_default_the_type_cannot_take_is_refused_by_the_server_with_the_field(kit, pg_database):
    table = kit.target(
        "Table",
        "t",
        {"database": pg_database, "columns": [{"name": "n", "type": "integer", "default": "abc"}]},
    )
    with pytest.raises(ProviderError, match=r"Table/t: columns: invalid input syntax for type integer"):
        kit.client.create(table)
    assert kit.sql("SELECT to_regclass('t') IS NULL", pg_database) == [(True,)]


def test_a_literal_password_is_refused(kit):
    role = kit.target("Role", kit.n("lit"), {"login": True, "password": "in-the-manifest"})
    with pytest.raises(ConfigError, match=r"Role/.*: password: use a secret reference") as err:
        kit.client.create(role)
    assert "in-the-manifest" not in str(err.value)


def test_errors_never_carry_the_password(kit):
    from kedge.model import Secret

    role = kit.target(
        "Role",
        kit.n("leak"),
        {"login": True, "password": Secret("do-not-print-me", "fromEnv P"), "memberOf": [kit.n("missing")]},
    )
    with pytest.raises(ProviderError) as err:
        kit.client.create(role)
    assert "do-not-print-me" not in str(err.value) and "SCRAM" not in str(err.value)
