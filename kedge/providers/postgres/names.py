"""Identifiers, privilege words and the ownership mark Kedge writes into ``COMMENT ON``.

Names are checked here before any SQL is built (every identifier is also quoted through
``psycopg.sql.Identifier``, so the check is about clear errors, not about safety). The mark is
the last line of an object's comment::

    Customer accounts, one row per login
    kedge.dev/owner {"app": "payments"}

so the user's own comment (``Table.comment``) survives and Kedge finds what it created even
without its own state. A resource composed for a claim also names it
(``{"app": "payments", "claim": "PostgresDatabase/orders"}``). A role's mark also keeps a
salted hash of the password last applied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kedge.model import ConfigError

MAX_IDENTIFIER_BYTES = 63
MARK_PREFIX = "kedge.dev/owner "
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]*$")

# Privileges each kind of object accepts, in PostgreSQL's own words (GRANT's documentation).
PRIVILEGES: dict[str, tuple[str, ...]] = {
    "database": ("CONNECT", "CREATE", "TEMPORARY"),
    "schema": ("CREATE", "USAGE"),
    "table": ("DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"),
    "sequence": ("SELECT", "UPDATE", "USAGE"),
    "function": ("EXECUTE",),
    "type": ("USAGE",),
}
_ALIASES = {"TEMP": "TEMPORARY", "ALL PRIVILEGES": "ALL"}


@lru_cache(maxsize=65536)
def _usable(value: str) -> bool:
    return 0 < len(value.encode()) <= MAX_IDENTIFIER_BYTES and bool(_IDENTIFIER.match(value))


def check_identifier(value: Any, where: str) -> str:
    """Return ``value`` if it is a usable PostgreSQL name, else raise ConfigError naming ``where``."""
    if isinstance(value, str) and _usable(value):
        return value
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a name, got {value!r}")
    if len(value.encode()) > MAX_IDENTIFIER_BYTES:
        raise ConfigError(f"{where}: {value!r} is longer than {MAX_IDENTIFIER_BYTES} bytes")
    if not _IDENTIFIER.match(value):
        raise ConfigError(
            f"{where}: {value!r} is not a valid name (letters, digits, '_', '$' and '-', "
            "starting with a letter or '_')"
        )
    return value


def check_new_name(value: Any, where: str) -> str:
    """A name Kedge may create: also not reserved by PostgreSQL (``pg_*``, ``public``)."""
    name = check_identifier(value, where)
    if name.lower().startswith("pg_"):
        raise ConfigError(f"{where}: names starting with 'pg_' are reserved by PostgreSQL")
    return name


def check_role_name(value: Any, where: str, allow_public: bool = False) -> str:
    if isinstance(value, str) and value.upper() == "PUBLIC":
        if allow_public:
            return "PUBLIC"
        raise ConfigError(f"{where}: PUBLIC is not a role name here")
    return check_identifier(value, where)


def normalise_privileges(values: Iterable[Any], object_type: str, where: str) -> frozenset[str]:
    """Upper-case, expand ``ALL``, resolve aliases; raise ConfigError on a word the object lacks."""
    allowed = PRIVILEGES[object_type]
    out: set[str] = set()
    for raw in values:
        if not isinstance(raw, str):
            raise ConfigError(f"{where}: expected privilege names, got {raw!r}")
        word = " ".join(raw.upper().split())
        word = _ALIASES.get(word, word)
        if word == "ALL":
            out.update(allowed)
        elif word in allowed:
            out.add(word)
        else:
            raise ConfigError(
                f"{where}: {raw!r} is not a privilege on a {object_type} (allowed: {', '.join(allowed)})"
            )
    return frozenset(out)


def echo_list(desired: Any, observed: Sequence[str], same: bool) -> Any:
    """The desired list as written when the observed set means the same, else the observed one.

    The engine compares the spec as written with the observed state; echoing the user's own
    spelling when PostgreSQL agrees is what keeps ``select`` vs ``SELECT`` from being drift.
    """
    return desired if same else sorted(observed)


@dataclass(frozen=True)
class Mark:
    """The parsed ownership mark of an object's comment."""

    app: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    user_comment: str | None = None


@lru_cache(maxsize=4096)
def parse_comment(comment: str | None) -> Mark:
    if not comment:
        return Mark(user_comment=None)
    head, _, last = comment.rpartition("\n")
    if not last.startswith(MARK_PREFIX):
        return Mark(user_comment=comment)
    try:
        data = json.loads(last[len(MARK_PREFIX) :])
    except ValueError:
        return Mark(user_comment=comment)
    if not isinstance(data, dict):
        return Mark(user_comment=comment)
    app = data.get("app")
    extra = {k: v for k, v in data.items() if k != "app"}
    return Mark(app=app if isinstance(app, str) else None, extra=extra, user_comment=head or None)


def render_comment(app: str, user_comment: str | None = None, **extra: Any) -> str:
    payload = {"app": app, **{k: v for k, v in extra.items() if v is not None}}
    mark = MARK_PREFIX + json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return f"{user_comment}\n{mark}" if user_comment else mark


def check_comment(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected text, got {type(value).__name__}")
    if MARK_PREFIX.strip() in value:
        raise ConfigError(f"{where}: comments may not contain {MARK_PREFIX.strip()!r} (Kedge's mark)")
    if "\x00" in value:
        raise ConfigError(f"{where}: comments may not contain NUL characters")
    return value
