"""The PostgreSQL provider (``postgres.kedge.dev/v1``): roles, databases, schemas, grants,
extensions and tables, through psycopg 3.

    provider.connect({"dsn": "postgresql://kedge@db/postgres", "watch": True}, ConnectContext("payments"))

Every identifier and literal goes through ``psycopg.sql``; column types and defaults are
parsed and rebuilt from allow-lists, never pasted into SQL. See docs/providers/postgres.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedge.model import ConfigError, KindSpec
from kedge.model.values import reveal
from kedge.providers.base import ConnectContext
from kedge.providers.postgres.client import PostgresClient
from kedge.providers.postgres.conn import Connections
from kedge.providers.postgres.kinds import KINDS, SETTINGS_SCHEMA

__all__ = ["PostgresClient", "PostgresProvider", "provider"]

_INT_SETTINGS = {"statementTimeout": 60000, "lockTimeout": 10000, "connectTimeout": 10}


class PostgresProvider:
    name = "postgres"
    kinds: Mapping[str, KindSpec] = KINDS
    settings_schema: Mapping[str, Any] = SETTINGS_SCHEMA

    def connect(self, settings: Mapping[str, Any], context: ConnectContext) -> PostgresClient:
        """A client for one server. Connections open lazily: errors surface on first use."""
        dsn = reveal(settings.get("dsn"))
        if not isinstance(dsn, str) or not dsn.strip():
            raise ConfigError("settings.dsn: a PostgreSQL connection string is required")
        values: dict[str, int] = {}
        for key, default in _INT_SETTINGS.items():
            value = settings.get(key, default)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"settings.{key}: expected a non-negative integer")
            values[key] = value
        options = {
            "application_name": "kedge",
            "connect_timeout": str(max(1, values["connectTimeout"])),
            "options": (
                f"-c statement_timeout={values['statementTimeout']} -c lock_timeout={values['lockTimeout']}"
            ),
        }
        poll = settings.get("pollInterval", 2)
        if not isinstance(poll, int | float) or isinstance(poll, bool) or poll < 0.1:
            raise ConfigError("settings.pollInterval: expected a number of seconds >= 0.1")
        return PostgresClient(Connections(dsn, options), context.app, settings)


provider = PostgresProvider()
