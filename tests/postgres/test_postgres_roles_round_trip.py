"""Role: apply -> no drift; out-of-band changes are seen and reverted; passwords by hash only."""

from kedge.model import Secret
from kedge.providers.postgres.passwords import AppliedPassword


def test_role_round_trips_and_reverts_out_of_band_changes(kit):
    group = kit.target("Role", kit.n("group"), {})
    kit.apply(group)
    role = kit.target(
        "Role",
        kit.n("app"),
        {"login": True, "connectionLimit": 5, "createdb": True, "memberOf": [group.external_id]},
    )
    obs = kit.apply(role)
    assert obs.exists and obs.owner == "testapp"
    assert obs.outputs == {"name": role.external_id}
    assert kit.diff(role) == []

    kit.sql(f'ALTER ROLE "{role.external_id}" NOLOGIN CONNECTION LIMIT 9')
    kit.sql(f'REVOKE "{group.external_id}" FROM "{role.external_id}"')
    drift = {c.path: (c.before, c.after) for c in kit.diff(role)}
    assert drift == {"login": (False, True), "connectionLimit": (9, 5), "memberOf": ([], [group.external_id])}

    kit.apply(role)
    assert kit.diff(role) == []
    row = kit.sql(
        "SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = %s", params=[role.external_id]
    )
    assert row == [(True, 5)]


def test_password_is_set_on_create_and_when_the_reference_changes(kit, pg_cluster):
    name = kit.n("pw")
    first = kit.target("Role", name, {"login": True, "password": Secret("first-secret-1", "fromEnv X")})
    kit.apply(first)
    with __import__("psycopg").connect(pg_cluster.dsn(user=name, password="first-secret-1")) as conn:
        assert conn.execute("select current_user").fetchone() == (name,)
    obs = kit.observe(first)
    assert isinstance(obs.state["password"], AppliedPassword)
    assert first.spec["password"] == obs.state["password"]
    assert kit.diff(first) == []
    comment = kit.sql(
        "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s", params=[name]
    )
    assert "first-secret-1" not in comment[0][0]

    second = kit.target("Role", name, {"login": True, "password": Secret("second-secret-2", "fromEnv X")})
    changes = kit.diff(second)
    assert [c.path for c in changes] == ["password"]
    preview = kit.client.preview(second, kit.observe(second), changes)
    assert "second-secret-2" not in " ".join(preview) and "SCRAM" not in " ".join(preview)
    kit.apply(second)
    assert kit.diff(second) == []
    with __import__("psycopg").connect(pg_cluster.dsn(user=name, password="second-secret-2")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_role_is_dropped(kit):
    role = kit.target("Role", kit.n("gone"), {})
    obs = kit.apply(role)
    kit.client.delete(role, obs)
    assert not kit.observe(role).exists


def test_unowned_role_reports_no_owner_and_adoption_marks_it(kit):
    name = kit.n("legacy")
    kit.sql(f'CREATE ROLE "{name}" LOGIN')
    role = kit.target("Role", name, {"login": True}, adopt="true")
    obs = kit.observe(role)
    assert obs.exists and obs.owner is None
    kit.client.update(role, obs, [])
    assert kit.observe(role).owner == "testapp"
