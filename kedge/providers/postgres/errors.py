"""Turn psycopg's exceptions into Kedge's errors, with the resource and field named.

Which failures are worth a retry (``TemporaryError``):
    connection refused or lost, too many connections, server starting or shutting down,
    serialization failures, deadlocks, lock timeouts and statement timeouts (the statement was
    cancelled; nothing it did stays, and a later attempt may find the server less busy).
Everything else is terminal (``ProviderError``): authentication, permissions, objects that do
not exist, objects still in use, invalid values.

Messages never carry a secret: the DSN's password and the resource's secret values are
scrubbed with ``redact_text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import psycopg
from psycopg import errors as pgerrors

from kedge.model import KedgeError, ProviderError, TemporaryError
from kedge.model.values import redact_text

TEMPORARY = (
    pgerrors.SerializationFailure,
    pgerrors.DeadlockDetected,
    pgerrors.LockNotAvailable,
    pgerrors.QueryCanceled,
    pgerrors.TooManyConnections,
    pgerrors.CannotConnectNow,
    pgerrors.AdminShutdown,
    pgerrors.CrashShutdown,
)
_AUTH = re.compile(r'authentication failed for user "([^"]*)"')
_NO_DB = re.compile(r'database "([^"]*)" does not exist')


def _first_line(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    lines = str(exc).strip().splitlines()
    text = primary or (lines[0] if lines else type(exc).__name__)
    detail = getattr(diag, "message_detail", None) if diag is not None else None
    hint = getattr(diag, "message_hint", None) if diag is not None else None
    for extra in (detail, hint):
        if extra:
            text = f"{text} ({extra.strip()})"
    return str(text)


def is_temporary(exc: BaseException) -> bool:
    return isinstance(exc, TEMPORARY) or "tuple concurrently updated" in str(exc)


def missing_database(exc: BaseException) -> str | None:
    """The database name when a connection failed because the database does not exist."""
    m = _NO_DB.search(str(exc))
    return m.group(1) if m else None


def connection_error(exc: psycopg.OperationalError, where: str, secrets: Iterable[str]) -> KedgeError:
    """Map a failure to connect. ``where`` is host:port/db, never the DSN (it holds the password)."""
    text = str(exc)
    auth = _AUTH.search(text)
    if auth:
        return ProviderError(
            f"postgres {where}: authentication failed for user {auth.group(1)!r}", code="AuthenticationFailed"
        )
    if "refused" in text or "timeout expired" in text or "could not connect" in text:
        reason = "connection refused" if "refused" in text else "could not connect"
        return TemporaryError(f"postgres {where}: {reason}; is the server running?")
    if "no password supplied" in text:
        return ProviderError(f"postgres {where}: the server wants a password and settings.dsn has none")
    line = redact_text(_first_line(exc).replace("connection failed: ", ""), secrets)
    temporary = any(w in text for w in ("starting up", "shutting down", "too many", "recovery"))
    return (TemporaryError if temporary else ProviderError)(f"postgres {where}: {line}")


def statement_error(exc: psycopg.Error, label: str, field: str, secrets: Iterable[str]) -> KedgeError:
    """Map an error raised by a statement of one resource: ``Kind/name: field: message``."""
    message = redact_text(_first_line(exc), secrets)
    place = f"{label}: {field}" if field else label
    if isinstance(exc, pgerrors.QueryCanceled):
        return TemporaryError(f"{place}: statement timeout: {message}")
    if is_temporary(exc):
        return TemporaryError(f"{place}: {message}")
    if isinstance(exc, psycopg.OperationalError):
        return TemporaryError(f"{place}: connection lost: {message}")
    # The SQLSTATE is the code: stable, documented by PostgreSQL, never read from the message.
    code = f"SQLSTATE{exc.sqlstate}" if exc.sqlstate else None
    if isinstance(exc, pgerrors.InsufficientPrivilege):
        return ProviderError(f"{place}: permission denied: {message}", code=code)
    if isinstance(exc, pgerrors.DependentObjectsStillExist):
        return ProviderError(f"{place}: {message}; reassign or drop the dependent objects first", code=code)
    return ProviderError(f"{place}: {message}", code=code)
