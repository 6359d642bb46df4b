"""Push-based drift detection: an event trigger NOTIFYs Kedge of DDL, GRANT and REVOKE.

With ``settings.watch: true`` Kedge installs, in each database it manages, a function
``kedge.notify_ddl()`` and two event triggers (``ddl_command_end``, ``sql_drop``) that send a
``NOTIFY kedge_ddl`` per changed object; ``watch()`` LISTENs in every such database and turns
notifications into ``WatchEvent``s within a fraction of a second. Roles, databases and
database-level ACLs are cluster-wide objects that event triggers never see: they are polled
with one fingerprint query each ``pollInterval``.
"""

from __future__ import annotations

import json
import select
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg

from kedge.model import KedgeError, ProviderError
from kedge.providers.base import WatchEvent
from kedge.providers.postgres.conn import Connections, DatabaseMissing

CHANNEL = "kedge_ddl"
APPLICATION = "kedge-watch"
_TRIGGERS = ("kedge_ddl_end", "kedge_sql_drop")

_INSTALL = r"""
CREATE SCHEMA IF NOT EXISTS kedge;
COMMENT ON SCHEMA kedge IS 'Kedge drift notifications (settings.watch)';
CREATE OR REPLACE FUNCTION kedge.notify_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE r record; rel text;
BEGIN
  IF TG_EVENT = 'sql_drop' THEN
    FOR r IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
      PERFORM pg_notify('kedge_ddl', json_build_object('event', TG_EVENT, 'tag', TG_TAG,
        'type', r.object_type,
        'name', r.object_name, 'identity', r.object_identity)::text);
    END LOOP;
  ELSE
    FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
      rel := NULL;
      IF r.classid = 'pg_class'::regclass THEN
        SELECT CASE WHEN c.relkind = 'i' THEN (SELECT t.relname FROM pg_index x
                      JOIN pg_class t ON t.oid = x.indrelid WHERE x.indexrelid = c.oid)
                    ELSE c.relname END INTO rel FROM pg_class c WHERE c.oid = r.objid;
      ELSIF r.classid = 'pg_constraint'::regclass THEN
        SELECT t.relname INTO rel FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
        WHERE k.oid = r.objid;
      ELSIF r.classid = 'pg_namespace'::regclass THEN
        SELECT nspname INTO rel FROM pg_namespace WHERE oid = r.objid;
      ELSIF r.classid = 'pg_extension'::regclass THEN
        SELECT extname INTO rel FROM pg_extension WHERE oid = r.objid;
      END IF;
      PERFORM pg_notify('kedge_ddl', json_build_object('event', TG_EVENT, 'tag', TG_TAG,
        'type', r.object_type,
        'name', rel, 'identity', r.object_identity)::text);
    END LOOP;
  END IF;
END
$fn$;
DROP EVENT TRIGGER IF EXISTS kedge_ddl_end;
CREATE EVENT TRIGGER kedge_ddl_end ON ddl_command_end EXECUTE FUNCTION kedge.notify_ddl();
DROP EVENT TRIGGER IF EXISTS kedge_sql_drop;
CREATE EVENT TRIGGER kedge_sql_drop ON sql_drop EXECUTE FUNCTION kedge.notify_ddl();
"""

_ROLES = """
SELECT r.rolname, md5(row(r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit,
       r.rolconnlimit, shobj_description(r.oid, 'pg_authid'),
       ARRAY(SELECT m.roleid FROM pg_auth_members m WHERE m.member = r.oid ORDER BY 1))::text)
FROM pg_roles r WHERE r.rolname !~ '^pg_'"""
_DATABASES = """
SELECT d.datname, md5(row(d.datdba, d.encoding, d.datconnlimit, d.datacl,
       shobj_description(d.oid, 'pg_database'))::text)
FROM pg_database d WHERE NOT d.datistemplate AND d.datallowconn"""

_RECHECK = 30.0  # seconds before a database without the trigger is looked at again
_DISCOVER_BATCH = 4
_TABLE_TYPES = {"table", "table column", "index", "table constraint", "trigger", "rule", "policy"}


def events_from(payload: str, database: str) -> list[WatchEvent]:
    """The WatchEvents one notification stands for."""
    try:
        data: dict[str, Any] = json.loads(payload)
    except ValueError:
        return []
    tag = str(data.get("tag") or "")
    kind_of = str(data.get("type") or "").lower()
    name = data.get("name")
    identity = str(data.get("identity") or "")
    detail = f"{tag} in {database}"
    if tag in ("GRANT", "REVOKE", "ALTER DEFAULT PRIVILEGES"):
        return [WatchEvent("Grant", None, detail)]
    events: list[WatchEvent] = []
    if kind_of in _TABLE_TYPES:
        dropped = data.get("event") == "sql_drop" and kind_of != "table"
        table = _table_of(kind_of, identity) if dropped else name
        events.append(WatchEvent("Table", table or None, detail))
        if tag in ("CREATE TABLE", "DROP TABLE", "CREATE TABLE AS", "ALTER TABLE"):
            events.append(WatchEvent("Grant", None, detail))
    elif kind_of == "schema":
        events.append(WatchEvent("Schema", name or identity or None, detail))
    elif kind_of == "extension":
        events.append(WatchEvent("Extension", name or identity or None, detail))
    elif kind_of == "sequence":
        events.append(WatchEvent("Grant", None, detail))
    return events


def _table_of(kind_of: str, identity: str) -> str | None:
    if kind_of == "table constraint" and " on " in identity:
        return identity.rsplit(" on ", 1)[1].rsplit(".", 1)[-1].strip('"')
    if kind_of == "table column" and identity.count(".") >= 2:
        return identity.split(".")[-2].strip('"')
    return None


class Watcher:
    def __init__(self, conns: Connections, enabled: bool, poll_interval: float) -> None:
        self.conns = conns
        self.enabled = enabled
        self.poll_interval = poll_interval
        self.installed: set[str] = set()
        self._lock = threading.Lock()

    def ensure(self, database: str) -> None:
        """Install the event triggers in ``database`` (once per client), when watching is on."""
        if not self.enabled or database in self.installed:
            return
        with self._lock:
            if database in self.installed:
                return
            try:
                rows = self.conns.query(
                    database,
                    "SELECT count(*) FROM pg_event_trigger WHERE evtname = ANY(%s)",
                    [list(_TRIGGERS)],
                )
                if rows[0][0] < len(_TRIGGERS):
                    with self.conns.session(database) as conn, conn.transaction():
                        conn.execute(_INSTALL)
            except DatabaseMissing:
                return
            except (psycopg.Error, KedgeError) as exc:
                raise ProviderError(
                    f"settings.watch: cannot install the event trigger in database {database!r} "
                    f"(needs a superuser): {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                ) from None
            self.installed.add(database)

    def watch(self, stop: threading.Event | None = None) -> Iterator[WatchEvent]:
        if not self.enabled:
            return
        stop = stop or threading.Event()
        listeners: dict[str, psycopg.Connection[Any]] = {}
        fingerprints: dict[str, dict[str, str]] = {}
        checked: dict[str, float] = {}  # database -> when it was last found without the trigger
        next_poll = 0.0
        try:
            while not stop.is_set():
                self._listen(listeners)
                yield from self._notifications(listeners, timeout=0.1)
                if time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + self.poll_interval
                    yield from self._poll(fingerprints)
                    self._discover(set(fingerprints.get("Database", {})), listeners, checked)
        finally:
            for conn in listeners.values():
                conn.close()

    def _listen(self, listeners: dict[str, psycopg.Connection[Any]]) -> None:
        for db in sorted(self.installed - set(listeners)):
            try:
                conn = psycopg.connect(self.conns.conninfo(db), autocommit=True, application_name=APPLICATION)
            except psycopg.Error:
                continue  # the database may be gone; it is observed as missing elsewhere
            conn.execute(f"LISTEN {CHANNEL}")
            listeners[db] = conn

    def _discover(
        self, databases: set[str], listeners: dict[str, psycopg.Connection[Any]], checked: dict[str, float]
    ) -> None:
        """Listen in databases where another client installed the trigger (the controller's
        watch runs on a client of its own); those without one are looked at again later."""
        now = time.monotonic()
        due = [
            db for db in sorted(databases - set(listeners)) if now - checked.get(db, -_RECHECK) >= _RECHECK
        ]
        # A few per poll: the loop must stay free to deliver notifications.
        for db in due[:_DISCOVER_BATCH]:
            try:
                conn = psycopg.connect(self.conns.conninfo(db), autocommit=True, application_name=APPLICATION)
            except psycopg.Error:
                checked[db] = now
                continue
            try:
                found = conn.execute(
                    "SELECT count(*) FROM pg_event_trigger WHERE evtname = ANY(%s)", [list(_TRIGGERS)]
                ).fetchone()
                if found and found[0] == len(_TRIGGERS):
                    conn.execute(f"LISTEN {CHANNEL}")
                    listeners[db] = conn
                    continue
            except psycopg.Error:
                pass
            checked[db] = now
            conn.close()

    def _notifications(
        self, listeners: dict[str, psycopg.Connection[Any]], timeout: float
    ) -> Iterator[WatchEvent]:
        if not listeners:
            time.sleep(timeout)
            return
        by_fd = {conn.fileno(): (db, conn) for db, conn in listeners.items()}
        ready, _, _ = select.select(list(by_fd), [], [], timeout)
        for fd in ready:
            db, conn = by_fd[fd]
            try:
                batch = list(conn.notifies(timeout=0.0))
            except psycopg.Error:
                conn.close()
                listeners.pop(db, None)
                continue
            seen: set[WatchEvent] = set()
            for note in batch:
                for event in events_from(note.payload, db):
                    if event not in seen:
                        seen.add(event)
                        yield event

    def _poll(self, fingerprints: dict[str, dict[str, str]]) -> Iterator[WatchEvent]:
        for kind, query in (("Role", _ROLES), ("Database", _DATABASES)):
            try:
                rows = dict(self.conns.query(None, query, (), kind))
            except KedgeError:
                continue
            before = fingerprints.get(kind)
            fingerprints[kind] = rows
            if before is None:
                continue
            changed = sorted(n for n in set(rows) | set(before) if rows.get(n) != before.get(n))
            for name in changed:
                yield WatchEvent(kind, name, "changed (poll)")
            if changed:
                yield WatchEvent("Grant", None, f"{kind.lower()} changed (poll)")
