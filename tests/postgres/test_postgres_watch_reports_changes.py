"""watch(): DDL and GRANT/REVOKE arrive by NOTIFY within a second; roles and databases by polling."""

import queue
import threading
import time

import pytest

from kedge.providers.base import ConnectContext
from kedge.providers.postgres import provider
from kedge.providers.postgres.watch import events_from
from tests.fixtures.pg import wait_for as wait_until
from tests.postgres.pgkit import make_target


@pytest.fixture
def watching(pg_cluster, pg_database):
    client = provider.connect(
        {"dsn": pg_cluster.dsn(), "watch": True, "pollInterval": 0.2}, ConnectContext("testapp")
    )
    table = make_target(
        "Table", "watched", {"database": pg_database, "columns": [{"name": "id", "type": "int"}]}
    )
    client.create(table)
    events: queue.Queue = queue.Queue()
    stop = threading.Event()

    def run():
        for event in client.watch(stop):
            events.put((time.monotonic(), event))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(0.5)  # listening, first poll done
    while not events.empty():
        events.get()
    yield events, pg_database
    stop.set()
    thread.join(timeout=5)
    client.close()


def wait_for(events, kind, name=None, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            at, event = events.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if event.kind == kind and (name is None or event.external_id == name):
            return at, event
    raise AssertionError(f"no {kind} {name} event within {timeout}s")


def test_add_column_out_of_band_is_reported_within_a_second(kit, watching):
    events, db = watching
    started = time.monotonic()
    kit.sql("ALTER TABLE watched ADD COLUMN sneaky text", db)
    at, event = wait_for(events, "Table", "watched")
    assert at - started < 1.0
    assert "ALTER TABLE" in event.detail


def test_grant_is_reported(kit, watching):
    events, db = watching
    kit.sql("GRANT SELECT ON watched TO PUBLIC", db)
    wait_for(events, "Grant")


def test_dropping_a_table_is_reported(kit, watching):
    events, db = watching
    kit.sql("DROP TABLE watched", db)
    wait_for(events, "Table", "watched")


def test_role_changes_are_polled(kit, watching):
    events, _db = watching
    name = kit.n("polled")
    kit.sql(f'CREATE ROLE "{name}"')
    wait_for(events, "Role", name)


def test_watch_is_off_by_default(pg_cluster):
    client = provider.connect({"dsn": pg_cluster.dsn()}, ConnectContext("testapp"))
    assert list(client.watch(threading.Event())) == []


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            '{"event":"ddl_command_end","tag":"CREATE INDEX","type":"index","name":"users","identity":"public.users_idx"}',
            [("Table", "users")],
        ),
        (
            '{"event":"sql_drop","tag":"ALTER TABLE","type":"table column","name":null,"identity":"public.users.email"}',
            [("Table", "users"), ("Grant", None)],
        ),
        (
            '{"event":"sql_drop","tag":"ALTER TABLE","type":"table constraint","name":"k","identity":"k on public.users"}',
            [("Table", "users"), ("Grant", None)],
        ),
        (
            '{"event":"ddl_command_end","tag":"CREATE SCHEMA","type":"schema","name":"app","identity":"app"}',
            [("Schema", "app")],
        ),
        (
            '{"event":"ddl_command_end","tag":"REVOKE","type":"table","name":null,"identity":null}',
            [("Grant", None)],
        ),
        ("not json", []),
    ],
)
def test_notifications_map_to_events(payload, expected):
    assert [(e.kind, e.external_id) for e in events_from(payload, "db")] == expected


def test_a_fresh_client_finds_the_trigger_another_client_installed(kit, pg_cluster, watching):
    _events, db = watching  # the fixture's client installed the trigger in db
    other = provider.connect(
        {"dsn": pg_cluster.dsn(), "watch": True, "pollInterval": 0.2}, ConnectContext("testapp")
    )
    events: queue.Queue = queue.Queue()
    stop = threading.Event()

    def run():
        for event in other.watch(stop):
            events.put((time.monotonic(), event))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        listening = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = 'kedge-watch'"
        )
        assert wait_until(lambda: kit.sql(listening, params=[db]) == [(2,)], timeout=10)
        kit.sql("ALTER TABLE watched ADD COLUMN later int", db)
        wait_for(events, "Table", "watched")
    finally:
        stop.set()
        thread.join(timeout=5)
        other.close()
