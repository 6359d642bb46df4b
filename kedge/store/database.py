"""Turn a ``--db`` value into a configured SQLAlchemy engine.

Accepted: a bare filesystem path or ``sqlite:///PATH`` (parent directories are created), and
``postgresql://`` / ``postgres://`` / ``postgresql+psycopg://`` (always the psycopg 3 driver).
SQLite connections get WAL, a 10 s busy timeout and foreign keys; writes take the write lock
up front (``BEGIN IMMEDIATE``) so two writers wait for each other instead of failing.

Every failure becomes a ``ConfigError`` whose message never carries the password.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from kedge.model import ConfigError
from kedge.model.values import REDACTED

BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 10
# A replica frozen mid-transaction (a paused VM, SIGSTOP) must not hold its row locks for ever:
# the server ends a session idle inside a transaction this long, so the others go on. Kedge's
# own transactions never wait on anything but the database.
IDLE_IN_TRANSACTION_S = 20
# Execution option read by the SQLite ``begin`` hook: "IMMEDIATE" for write transactions.
BEGIN_MODE = "kedge_sqlite_begin"

_SCHEMES = {
    "sqlite": "sqlite+pysqlite",
    "sqlite+pysqlite": "sqlite+pysqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def parse_url(raw: str) -> URL:
    """The SQLAlchemy URL for ``raw``; a value without ``://`` is a SQLite file path."""
    text = raw.strip()
    if not text:
        raise ConfigError("empty database URL: give a file path or sqlite:///PATH or postgresql://...")
    if "://" not in text:
        return URL.create("sqlite+pysqlite", database=str(Path(text).expanduser()))
    scheme = text.split("://", 1)[0].lower()
    driver = _SCHEMES.get(scheme)
    if driver is None:
        raise ConfigError(
            f"unsupported database URL scheme {scheme!r}: use a file path, sqlite:///PATH "
            "or postgresql://USER@HOST/DB"
        )
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise ConfigError(f"malformed database URL {_scrub(text, None)!r}") from None
    return url.set(drivername=driver)


def safe_url(url: URL) -> str:
    """``url`` for messages: the password replaced."""
    return url.render_as_string(hide_password=True)


def create(url: URL) -> Engine:
    """An engine for ``url``; connects lazily (``ensure_reachable`` is the first connection)."""
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps}
    try:
        if url.get_backend_name() == "sqlite":
            engine = _create_sqlite(url, kwargs)
        else:
            idle = f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_S * 1000}"
            given = url.query.get("options")  # the user's own options (a search_path) come first
            given = given if isinstance(given, str) else " ".join(given or ())
            connect_args: dict[str, Any] = {"options": f"{given} {idle}".strip()}
            if "connect_timeout" not in url.query:
                connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
            engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(f"cannot use database {safe_url(url)}: {describe(exc, url)}") from None
    return engine


def describe(exc: BaseException, url: URL) -> str:
    """The driver's own reason for ``exc`` on one line, without the password."""
    reason = getattr(exc, "orig", None) or exc
    text = " ".join(str(reason).split()) or type(reason).__name__
    return _scrub(text, url.password if isinstance(url.password, str) else None)


def _create_sqlite(url: URL, kwargs: dict[str, Any]) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if in_memory:
        # One shared connection: an in-memory database exists only inside its connection.
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        path = Path(database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the directory for {path}: {exc.strerror or exc}") from None
        if path.is_dir():
            raise ConfigError(f"state database {path} is a directory: give a file path")
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transactions away from the sqlite3 module (it would begin them lazily, after reads);
    # ``_sqlite_begin`` issues BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL survives a killed process; only a power loss may drop the last commits.
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get(BEGIN_MODE, "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def _json_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=_refuse)


def _refuse(value: Any) -> Any:
    # Reached only if a value bypassed ``records.document``; never echo the value itself.
    raise TypeError(f"cannot store a value of type {type(value).__name__} in the state store")


def _scrub(text: str, password: str | None) -> str:
    """Remove the password (and any user:password@ in URLs) from ``text``."""
    text = re.sub(r"(://[^:/@\s]*):\S*@", rf"\1:{REDACTED}@", text)
    if password:
        for form in {password, unquote(password)}:
            text = text.replace(form, REDACTED)
    return text
