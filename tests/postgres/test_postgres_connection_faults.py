"""Faults: refused, wrong password, permission denied, timeouts, a role that still owns objects."""

import socket
import threading

import psycopg
import pytest

from kedge.model import ProviderError, Secret, TemporaryError
from kedge.providers.base import ConnectContext
from kedge.providers.postgres import provider
from tests.postgres.pgkit import make_target


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_temporary_and_hides_the_password():
    client = provider.connect(
        {"dsn": f"postgresql://u:hunter2-secret@127.0.0.1:{closed_port()}/postgres"}, ConnectContext("a")
    )
    role = make_target("Role", "r", {})
    with pytest.raises(TemporaryError) as err:
        client.observe_many("Role", [role])
    assert "connection refused" in str(err.value) and "hunter2" not in str(err.value)


def test_wrong_password_is_terminal_and_names_the_user(pg_cluster):
    client = provider.connect({"dsn": pg_cluster.dsn(password="wrong-pass-123")}, ConnectContext("a"))
    with pytest.raises(ProviderError) as err:
        client.observe_many("Role", [make_target("Role", "r", {})])
    assert not isinstance(err.value, TemporaryError)
    assert "authentication failed for user 'postgres'" in str(err.value)
    assert "wrong-pass-123" not in str(err.value)


def test_dsn_as_a_secret_reference_is_accepted(pg_cluster):
    client = provider.connect({"dsn": Secret(pg_cluster.dsn(), "fromEnv PGURL")}, ConnectContext("a"))
    assert not client.observe_many("Role", [make_target("Role", "nobody_here", {})])[
        make_target("Role", "nobody_here", {}).key
    ].exists


def test_permission_denied_names_the_resource(kit, pg_cluster):
    weak = kit.n("weak")
    kit.sql(f"CREATE ROLE \"{weak}\" LOGIN PASSWORD 'weak-pass-1'")
    client = provider.connect({"dsn": pg_cluster.dsn(user=weak, password="weak-pass-1")}, ConnectContext("a"))
    target = make_target("Role", kit.n("wanted"), {})
    with pytest.raises(ProviderError, match=rf"Role/{target.key.name}: permission denied"):
        client.create(target)
    client.close()


def test_statement_timeout_is_temporary(kit, pg_cluster, pg_database):
    kit.sql("CREATE TABLE locked (id int)", pg_database)
    client = provider.connect(
        {"dsn": pg_cluster.dsn(), "statementTimeout": 300, "lockTimeout": 0}, ConnectContext("testapp")
    )
    table = make_target(
        "Table",
        "locked",
        {"database": pg_database, "columns": [{"name": "id", "type": "int"}, {"name": "x", "type": "int"}]},
        {"kedge.dev/adopt": "true"},
    )
    obs = client.observe_many("Table", [table])[table.key]
    holder = psycopg.connect(pg_cluster.dsn(pg_database))
    holder.execute("LOCK TABLE locked IN ACCESS EXCLUSIVE MODE")
    released = threading.Timer(3, holder.rollback)
    released.start()
    try:
        with pytest.raises(TemporaryError, match=r"Table/locked: .*statement timeout"):
            client.update(table, obs, [])
    finally:
        released.cancel()
        holder.close()
        client.close()


def test_lock_timeout_is_temporary(kit, pg_cluster):
    role = kit.target("Role", kit.n("busy"), {})
    kit.apply(role)
    client = provider.connect({"dsn": pg_cluster.dsn(), "lockTimeout": 100}, ConnectContext("testapp"))
    holder = psycopg.connect(pg_cluster.dsn())
    holder.execute(f'ALTER ROLE "{role.external_id}" CONNECTION LIMIT 4')  # holds the row lock
    try:
        obs = client.observe_many("Role", [role])[role.key]
        with pytest.raises(TemporaryError, match=rf"Role/{role.key.name}"):
            client.delete(role, obs)
    finally:
        holder.rollback()
        holder.close()
        client.close()


def test_dropping_a_role_that_still_owns_objects_is_refused_clearly(kit, pg_database):
    role = kit.target("Role", kit.n("owner"), {})
    obs = kit.apply(role)
    kit.sql(f'CREATE TABLE owned (id int); ALTER TABLE owned OWNER TO "{role.external_id}"', pg_database)
    with pytest.raises(
        ProviderError,
        match=rf"Role/{role.key.name}: .*cannot be dropped because some objects depend on it.*reassign or drop",
    ):
        kit.client.delete(role, obs)
    assert kit.observe(role).exists
