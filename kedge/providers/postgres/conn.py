"""Connections to one PostgreSQL server, and running a resource's statements all-or-nothing.

The ProviderConfig's DSN names the maintenance database (roles, databases and role membership
live there); objects inside a database (schemas, tables, grants, extensions) are reached with
the same DSN and another ``dbname``. Autocommit connections are opened lazily and kept, a few
per database; each resource's statements run in one transaction where PostgreSQL allows it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from kedge.model import ConfigError
from kedge.providers.postgres.errors import (
    connection_error,
    is_temporary,
    missing_database,
    statement_error,
)


@dataclass(frozen=True)
class Step:
    """One statement; ``field`` is the spec field it comes from (named in errors)."""

    statement: sql.Composable
    field: str = ""
    shown: sql.Composable | None = None  # shown instead of the statement (it carries a secret)
    destructive: str | None = None  # why it loses data, when it does


@dataclass
class Steps:
    """What one create/update/delete runs: in ``database`` (None: the maintenance database)."""

    database: str | None = None
    steps: list[Step] = field(default_factory=list)
    transaction: bool = True
    undo: list[Step] = field(default_factory=list)  # run if a non-transactional run fails midway
    # Serialises runs that rewrite one shared catalog row (an object's ACL): concurrent GRANTs on
    # one object fail with "tuple concurrently updated". Held in this process; across processes
    # the error is temporary and retried.
    lock: str | None = None

    def add(self, statement: sql.Composable, field: str = "", **kw: Any) -> None:
        self.steps.append(Step(statement, field, **kw))


class DatabaseMissing(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Connections:
    """Lazily opened connections: a few per database, each used by one thread at a time."""

    def __init__(self, dsn: str, options: Mapping[str, str] | None = None, pool_size: int = 4) -> None:
        try:
            params = conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:
            raise ConfigError("settings.dsn: not a valid PostgreSQL connection string") from exc
        self._dsn = dsn
        self._password = str(params.get("password") or "")
        self.maintenance_db = str(params.get("dbname") or params.get("user") or "postgres")
        self.user = str(params.get("user") or "")
        self._where = f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"
        self._options = dict(options or {})
        if params.get("options") and "options" in self._options:
            self._options["options"] = f"{params['options']} {self._options['options']}"
        self.pool_size = pool_size
        self._idle: dict[str, list[psycopg.Connection[Any]]] = {}
        self._open: dict[str, int] = {}  # connections per database, idle or in use
        self._cond = threading.Condition()
        self._object_locks: dict[str, threading.Lock] = {}
        self.queries = 0  # statements sent, for benchmarks and tests

    @property
    def secrets(self) -> list[str]:
        return [self._password] if self._password else []

    @property
    def dsn(self) -> str:
        """The connection string as configured (Kedge's credentials: never shown)."""
        return self._dsn

    def conninfo(self, database: str | None = None) -> str:
        return make_conninfo(self._dsn, dbname=database or self.maintenance_db, **self._options)

    def open(self, database: str | None = None, autocommit: bool = True) -> psycopg.Connection[Any]:
        """A new connection, not cached (watchers own theirs)."""
        db = database or self.maintenance_db
        try:
            return psycopg.connect(self.conninfo(db), autocommit=autocommit)
        except psycopg.OperationalError as exc:
            missing = missing_database(exc)
            if missing is not None and database is not None:
                raise DatabaseMissing(missing) from None
            raise connection_error(exc, f"{self._where}/{db}", self.secrets) from None

    @contextmanager
    def session(self, database: str | None = None) -> Iterator[psycopg.Connection[Any]]:
        """A connection to ``database`` for this thread alone, from a small per-database pool
        (the engine applies independent resources in parallel)."""
        db = database or self.maintenance_db
        conn = self._acquire(db, database)
        try:
            yield conn
        finally:
            with self._cond:
                if conn.closed or conn.broken:
                    self._open[db] -= 1
                else:
                    self._idle.setdefault(db, []).append(conn)
                self._cond.notify()

    def _acquire(self, db: str, database: str | None) -> psycopg.Connection[Any]:
        with self._cond:
            while True:
                idle = self._idle.setdefault(db, [])
                while idle:
                    conn = idle.pop()
                    if not (conn.closed or conn.broken):
                        return conn
                    self._open[db] -= 1
                if self._open.get(db, 0) < self.pool_size:
                    self._open[db] = self._open.get(db, 0) + 1
                    break
                self._cond.wait()
        try:
            return self.open(database)
        except BaseException:
            with self._cond:
                self._open[db] -= 1
                self._cond.notify()
            raise

    def query(
        self,
        database: str | None,
        statement: sql.Composable | str,
        params: Sequence[Any] = (),
        label: str = "",
    ) -> list[tuple[Any, ...]]:
        with self.session(database) as conn:
            self.queries += 1
            try:
                return conn.execute(statement, params).fetchall()  # type: ignore[arg-type]
            except psycopg.Error as exc:
                raise statement_error(exc, label or "postgres", "", self.secrets) from None

    def run(self, label: str, steps: Steps, secrets: Iterable[str] = ()) -> None:
        """Run the steps: all of them or (in a transaction) none."""
        hidden = [*self.secrets, *secrets]
        if not steps.steps:
            return
        with self.session(steps.database) as conn:
            if steps.transaction:
                with self._object_lock(steps.lock):
                    self._run_atomic(conn, label, steps.steps, hidden)
                return
            current = steps.steps[0]
            try:
                for current in steps.steps:
                    self.queries += 1
                    conn.execute(_query(current.statement))
            except psycopg.Error as exc:
                error = statement_error(exc, label, current.field, hidden)
                self._undo(conn, steps.undo)
                raise error from None

    def run_together(self, database: str | None, steps: Sequence[Step], locks: Iterable[str]) -> bool:
        """Run the steps of many objects as one transaction in one round trip: True when all
        were committed; False when any failed, and then none was (the caller goes one by one)."""
        if not steps:
            return True
        with self.session(database) as conn, ExitStack() as held:
            for key in sorted(set(locks)):  # always in one order: two batches cannot deadlock
                held.enter_context(self._object_lock(key))
            self.queries += 1
            try:
                conn.execute(_query(sql.SQL(";\n").join(s.statement for s in steps)))
            except psycopg.Error:
                return False
        return True

    @contextmanager
    def _object_lock(self, key: str | None) -> Iterator[None]:
        if key is None:
            yield
            return
        with self._cond:
            lock = self._object_locks.setdefault(key, threading.Lock())
        with lock:
            yield

    def _run_atomic(
        self, conn: psycopg.Connection[Any], label: str, steps: Sequence[Step], hidden: list[str]
    ) -> None:
        """One round trip: the statements go as one simple query, which PostgreSQL runs as one
        implicit transaction. On failure they are replayed one by one in a transaction that is
        rolled back, to name the field whose statement failed."""
        self.queries += 1
        try:
            conn.execute(_query(sql.SQL(";\n").join(s.statement for s in steps)))
            return
        except psycopg.Error as exc:
            first = exc
        if is_temporary(first) or conn.broken:
            raise statement_error(first, label, "", hidden) from None
        current = steps[0]
        try:
            with conn.transaction(force_rollback=True):
                for current in steps:
                    conn.execute(_query(current.statement))
        except psycopg.Error as exc:
            raise statement_error(exc, label, current.field, hidden) from None
        raise statement_error(first, label, "", hidden) from None

    def _undo(self, conn: psycopg.Connection[Any], undo: Sequence[Step]) -> None:
        """Best effort, for statements PostgreSQL cannot run in a transaction (CREATE DATABASE)."""
        for step in undo:
            try:
                conn.execute(_query(step.statement))
            except psycopg.Error:
                break

    def forget(self, database: str) -> None:
        """Close the idle connections to ``database`` (before dropping it)."""
        with self._cond:
            conns = self._idle.pop(database, [])
            self._open[database] = self._open.get(database, 0) - len(conns)
        for conn in conns:
            conn.close()

    def render(self, steps: Steps) -> list[str]:
        out: list[str] = []
        if not steps.steps:
            return out
        with self.session(None) as conn:
            for step in steps.steps:
                out.append((step.shown or step.statement).as_string(conn))
        return out

    def close(self) -> None:
        with self._cond:
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
            self._open.clear()
        for conn in conns:
            try:
                conn.close()
            except psycopg.Error:
                pass


def _query(statement: sql.Composable) -> sql.SQL | sql.Composed:
    assert isinstance(statement, sql.SQL | sql.Composed)
    return statement
