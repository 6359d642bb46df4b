"""Grant: every `on`, exact privilege sets, PUBLIC, grant option, default privileges, membership."""

import pytest

from kedge.model import ProviderError


@pytest.fixture
def reader(kit):
    role = kit.target("Role", kit.n("reader"), {"login": True})
    kit.apply(role)
    return role.external_id


@pytest.fixture
def tables(kit, pg_database):
    kit.sql(
        "CREATE TABLE public.a (id int); CREATE TABLE public.b (id int); CREATE SEQUENCE public.s",
        pg_database,
    )
    return pg_database


def privileges_on_database(kit, db, grantee):
    rows = kit.sql(
        "SELECT a.privilege_type FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a "
        "WHERE d.datname = %s AND a.grantee = %s ORDER BY 1",
        params=[
            db,
            0
            if grantee == "PUBLIC"
            else kit.sql("SELECT oid FROM pg_roles WHERE rolname=%s", params=[grantee])[0][0],
        ],
    )
    return [r[0] for r in rows]


def test_database_grant_round_trips_and_extra_privileges_are_revoked(kit, reader, pg_database):
    grant = kit.target(
        "Grant",
        kit.n("g"),
        {"role": reader, "on": "database", "database": pg_database, "privileges": ["connect"]},
    )
    assert not kit.observe(grant).exists
    kit.apply(grant)
    assert kit.diff(grant) == []  # "connect" as written compares equal to CONNECT
    kit.sql(f'GRANT CREATE ON DATABASE "{pg_database}" TO "{reader}"')
    changes = kit.diff(grant)
    assert [(c.path, c.before) for c in changes] == [("privileges", ["CONNECT", "CREATE"])]
    kit.apply(grant)
    assert privileges_on_database(kit, pg_database, reader) == ["CONNECT"]
    kit.client.delete(grant, kit.observe(grant))
    assert privileges_on_database(kit, pg_database, reader) == []


def test_public_access_to_a_new_database_is_closed_by_an_empty_grant(kit, pg_database):
    assert privileges_on_database(kit, pg_database, "PUBLIC") == ["CONNECT", "TEMPORARY"]
    grant = kit.target(
        "Grant", kit.n("pub"), {"role": "PUBLIC", "on": "database", "database": pg_database, "privileges": []}
    )
    obs = kit.observe(grant)
    assert obs.exists and sorted(obs.state["privileges"]) == ["CONNECT", "TEMPORARY"]
    kit.apply(grant)
    assert privileges_on_database(kit, pg_database, "PUBLIC") == []
    assert kit.diff(grant) == []
    kit.sql(f'GRANT TEMP ON DATABASE "{pg_database}" TO PUBLIC')
    assert [c.path for c in kit.diff(grant)] == ["privileges"]
    kit.apply(grant)
    assert privileges_on_database(kit, pg_database, "PUBLIC") == []


def test_schema_grant_with_grant_option(kit, reader, pg_database):
    grant = kit.target(
        "Grant",
        kit.n("sch"),
        {
            "role": reader,
            "on": "schema",
            "database": pg_database,
            "schema": "public",
            "privileges": ["USAGE"],
            "withGrantOption": True,
        },
    )
    kit.apply(grant)
    assert kit.diff(grant) == []
    kit.sql(f'REVOKE GRANT OPTION FOR USAGE ON SCHEMA public FROM "{reader}"', pg_database)
    assert [c.path for c in kit.diff(grant)] == ["withGrantOption"]
    kit.apply(grant)
    assert kit.diff(grant) == []


def test_table_and_sequence_grants(kit, reader, tables):
    tgrant = kit.target(
        "Grant",
        kit.n("t"),
        {
            "role": reader,
            "on": "table",
            "database": tables,
            "objects": ["a", "b"],
            "privileges": ["SELECT", "INSERT"],
        },
    )
    kit.apply(tgrant)
    assert kit.diff(tgrant) == []
    kit.sql(f'REVOKE INSERT ON public.b FROM "{reader}"', tables)
    obs = kit.observe(tgrant)
    assert obs.state["privileges"] == ["SELECT", "INSERT (on some objects only)"]
    kit.apply(tgrant)
    assert kit.diff(tgrant) == []

    sgrant = kit.target(
        "Grant",
        kit.n("s"),
        {"role": reader, "on": "sequence", "database": tables, "objects": ["s"], "privileges": ["USAGE"]},
    )
    kit.apply(sgrant)
    assert kit.diff(sgrant) == []


def test_all_tables_in_schema(kit, reader, tables):
    grant = kit.target(
        "Grant",
        kit.n("all"),
        {
            "role": reader,
            "on": "allTablesInSchema",
            "database": tables,
            "schema": "public",
            "privileges": ["SELECT"],
        },
    )
    kit.apply(grant)
    assert kit.diff(grant) == []
    kit.sql("CREATE TABLE public.c (id int)", tables)  # a new table: not covered yet
    assert [c.path for c in kit.diff(grant)] == ["privileges"]
    kit.apply(grant)
    assert kit.diff(grant) == []


def test_default_privileges(kit, reader, pg_database):
    grant = kit.target(
        "Grant",
        kit.n("def"),
        {
            "role": reader,
            "on": "defaultPrivileges",
            "database": pg_database,
            "schema": "public",
            "objectType": "tables",
            "privileges": ["SELECT"],
        },
    )
    assert not kit.observe(grant).exists
    kit.apply(grant)
    assert kit.diff(grant) == []
    kit.sql("CREATE TABLE public.later (id int)", pg_database)
    rows = kit.sql("SELECT has_table_privilege(%s, 'public.later', 'SELECT')", pg_database, [reader])
    assert rows == [(True,)]
    kit.sql(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT UPDATE ON TABLES TO "{reader}"', pg_database)
    assert [c.path for c in kit.diff(grant)] == ["privileges"]
    kit.apply(grant)
    assert kit.diff(grant) == []
    kit.client.delete(grant, kit.observe(grant))
    assert not kit.observe(grant).exists


def test_role_membership(kit, reader):
    group = kit.target("Role", kit.n("grp"), {})
    kit.apply(group)
    grant = kit.target(
        "Grant",
        kit.n("m"),
        {"role": reader, "on": "role", "objects": [group.external_id], "withGrantOption": True},
    )
    kit.apply(grant)
    assert kit.diff(grant) == []
    kit.sql(f'REVOKE "{group.external_id}" FROM "{reader}"')
    assert not kit.observe(grant).exists
    kit.apply(grant)
    assert kit.diff(grant) == []
    kit.client.delete(grant, kit.observe(grant))
    assert not kit.observe(grant).exists


def test_grant_to_a_role_that_does_not_exist_names_the_resource(kit, pg_database):
    grant = kit.target(
        "Grant",
        kit.n("ghost"),
        {"role": kit.n("ghost"), "on": "database", "database": pg_database, "privileges": ["CONNECT"]},
    )
    with pytest.raises(ProviderError, match=r"Grant/.*ghost.*: privileges: role .* does not exist"):
        kit.client.create(grant)
