"""Bring a database to the schema this Kedge expects, with the Alembic revisions shipped inside
the package (``kedge/store/migrations``); no ``alembic.ini`` is needed.

Revisions are numbered: ``versions/0002_apps.py`` holds revision ``"0002"`` whose
``down_revision`` is ``"0001"``. That convention lets ``open`` learn the head from a directory
listing and skip importing Alembic at all when the database is already there, which keeps
opening a migrated store in the low milliseconds. A test checks that the convention holds.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, Engine, column, inspect, select, table, text
from sqlalchemy.exc import SQLAlchemyError

from kedge.model import ConfigError
from kedge.store import database

VERSION_TABLE = "kedge_schema_version"
MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")
# Serialises migrations of replicas sharing one PostgreSQL database (pg_advisory_xact_lock).
_PG_LOCK_ID = 0x6B65646765  # "kedge"


@cache
def head_revision() -> str:
    """The newest revision shipped with this Kedge."""
    numbers = [m.group(1) for p in (MIGRATIONS / "versions").iterdir() if (m := _REVISION_FILE.match(p.name))]
    if not numbers:
        raise RuntimeError(f"no migrations found in {MIGRATIONS / 'versions'}: broken installation")
    return max(numbers)


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for a database Kedge has never touched."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    version_table = table(VERSION_TABLE, column("version_num"))
    return connection.execute(select(version_table.c.version_num)).scalar_one_or_none()


def ensure_head(engine: Engine) -> None:
    """Upgrade the database to ``head_revision()``; cheap when it is there already."""
    url = engine.url
    head = head_revision()
    try:
        with engine.connect() as connection:
            current = current_revision(connection)
            connection.rollback()
        if current == head:
            return
        _refuse_newer(current, head, database.safe_url(url))
        writer = engine.execution_options(**{database.BEGIN_MODE: "IMMEDIATE"})
        with writer.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            _upgrade(connection)
    except ConfigError:
        raise
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"cannot open state database {database.safe_url(url)}: {database.describe(exc, url)}"
        ) from None


def _refuse_newer(current: str | None, head: str, where: str) -> None:
    if current is not None and (not current.isdigit() or current > head):
        raise ConfigError(
            f"state database {where} is at schema revision {current}, newer than this Kedge "
            f"knows (up to {head}): upgrade Kedge, or point --db at another database"
        )


def _upgrade(connection: Connection) -> None:
    # Imported here: Alembic costs a few hundred milliseconds to import and is only needed
    # when the schema actually changes.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_table", VERSION_TABLE)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
