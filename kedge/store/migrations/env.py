"""Alembic environment: migrate the connection that ``kedge.store.migrate`` passes in.

There is no ``alembic.ini`` and no offline (SQL script) mode: the store always migrates the
database it opens, inside the transaction it opened.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from kedge.store.tables import Base


def run_migrations_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("the state store migrations run only through kedge.store.migrate")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=config.get_main_option("version_table") or "kedge_schema_version",
        # SQLite cannot ALTER most things: let later revisions use batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported: open the store to migrate it")
run_migrations_online()
