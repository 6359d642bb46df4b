"""Column types and defaults: parse, normalise, render; never paste user text into SQL.

A type is parsed into ``ColumnType(base, modifiers, array)`` where ``base`` comes from a fixed
table of PostgreSQL's canonical names (what ``format_type()`` prints), so ``int4``, ``int`` and
``integer`` are one type and ``varchar(20)`` is ``character varying(20)``. The SQL is built from
the canonical name and integers only. A default is either a scalar literal (quoted by
``psycopg.sql.Literal``) or ``{expression: now()}`` from a short allow-list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from psycopg import sql

from kedge.model import ConfigError

# alias -> (canonical base, how many modifiers it takes: 0, 1 or 2)
_BASES: dict[str, tuple[str, int]] = {}


def _add(canonical: str, mods: int, *aliases: str) -> None:
    for name in (canonical, *aliases):
        _BASES[name] = (canonical, mods)


_add("smallint", 0, "int2")
_add("integer", 0, "int", "int4")
_add("bigint", 0, "int8")
_add("real", 0, "float4")
_add("double precision", 0, "float8", "float")
_add("numeric", 2, "decimal")
_add("boolean", 0, "bool")
_add("text", 0)
_add("character varying", 1, "varchar")
_add("character", 1, "char", "bpchar")
_add("bytea", 0)
_add("date", 0)
_add("time without time zone", 1, "time")
_add("time with time zone", 1, "timetz")
_add("timestamp without time zone", 1, "timestamp")
_add("timestamp with time zone", 1, "timestamptz")
_add("interval", 1)
_add("uuid", 0)
_add("json", 0)
_add("jsonb", 0)
_add("inet", 0)
_add("cidr", 0)
_add("macaddr", 0)
_add("money", 0)
_add("xml", 0)
_add("tsvector", 0)
_add("oid", 0)

_TYPE = re.compile(
    r"^\s*(?P<name>[a-z][a-z0-9 ]*?)\s*(?:\(\s*(?P<mods>\d+(?:\s*,\s*\d+)?)\s*\))?"
    r"(?P<zone>\s+with(?:out)?\s+time\s+zone)?\s*(?P<array>(?:\[\s*\])*)\s*$"
)
_TIME_BASES = {"time", "timestamp"}

# A widening that keeps every value: (from base, to base).
_WIDER = {
    ("smallint", "integer"),
    ("smallint", "bigint"),
    ("integer", "bigint"),
    ("smallint", "numeric"),
    ("integer", "numeric"),
    ("bigint", "numeric"),
    ("real", "double precision"),
    ("character varying", "text"),
    ("character", "text"),
    ("json", "jsonb"),
}


@dataclass(frozen=True)
class ColumnType:
    base: str
    modifiers: tuple[int, ...] = ()
    array: int = 0

    def __str__(self) -> str:
        """PostgreSQL's spelling, as ``format_type()`` prints it."""
        mods = f"({','.join(str(m) for m in self.modifiers)})" if self.modifiers else ""
        if self.base.startswith(("time ", "timestamp ")) and mods:
            word, _, zone = self.base.partition(" ")
            text = f"{word}{mods} {zone}"
        else:
            text = f"{self.base}{mods}"
        return text + "[]" * self.array

    def as_sql(self) -> sql.Composable:
        # str(self) is built from the fixed table above and integers only.
        return sql.SQL(str(self))  # type: ignore[arg-type]


def parse_type(text: Any, where: str) -> ColumnType:
    """Parse a column type or raise ConfigError naming ``where``."""
    if not isinstance(text, str):
        raise ConfigError(f"{where}: expected a type name, got {text!r}")
    try:
        return _parse_type(text)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


@lru_cache(maxsize=1024)
def _parse_type(text: str) -> ColumnType:
    m = _TYPE.match(text.lower())
    if not m:
        raise ConfigError(f"cannot parse column type {text!r}")
    name = " ".join(m.group("name").split())
    zone = " ".join((m.group("zone") or "").split())
    if zone:
        if name not in _TIME_BASES:
            raise ConfigError(f"cannot parse column type {text!r}")
        name = f"{name} {zone}"
    if name in ("serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"):
        raise ConfigError(f"{text!r} is not a type; use an integer type with identity: byDefault")
    if name == "double":
        name = "double precision"
    entry = _BASES.get(name)
    if entry is None:
        raise ConfigError(f"cannot parse column type {text!r} (unknown type {name!r})")
    base, max_mods = entry
    mods = tuple(int(x) for x in (m.group("mods") or "").replace(" ", "").split(",") if x)
    if len(mods) > max_mods:
        raise ConfigError(f"type {base!r} takes at most {max_mods} modifier(s): {text!r}")
    if base == "double precision" and name == "float" and mods:
        raise ConfigError(f"write real or double precision instead of {text!r}")
    if base in ("character varying", "character") and mods and not 1 <= mods[0] <= 10485760:
        raise ConfigError(f"length out of range in {text!r}")
    if base == "numeric" and mods and not (1 <= mods[0] <= 1000 and (len(mods) < 2 or mods[1] <= mods[0])):
        raise ConfigError(f"precision/scale out of range in {text!r}")
    if base.startswith(("time", "interval")) and mods and mods[0] > 6:
        raise ConfigError(f"fractional-second precision above 6 in {text!r}")
    if base == "character" and not mods:
        mods = (1,)
    return ColumnType(base, mods, m.group("array").count("["))


def is_lossless(old: ColumnType, new: ColumnType) -> bool:
    """True when every value of ``old`` survives a cast to ``new`` unchanged."""
    if old == new:
        return True
    if old.array != new.array:
        return False
    if old.base == new.base:
        if not new.modifiers:
            return True  # dropping a length or precision limit
        if not old.modifiers:
            return False
        if old.base == "numeric":
            op, os_ = old.modifiers[0], (*old.modifiers, 0)[1]
            np_, ns = new.modifiers[0], (*new.modifiers, 0)[1]
            return ns >= os_ and np_ - ns >= op - os_
        if old.base in ("character varying",):
            return new.modifiers[0] >= old.modifiers[0]
        if old.base.startswith(("time", "interval")):
            return new.modifiers[0] >= old.modifiers[0]
        return False
    if (old.base, new.base) in _WIDER:
        return not (new.base == "numeric" and new.modifiers)
    return old.base == "character varying" and new.base == "character varying"


# Default expressions Kedge accepts: lower-case spelling -> what pg_get_expr() prints.
EXPRESSIONS = {
    "now()": "now()",
    "current_timestamp": "CURRENT_TIMESTAMP",
    "current_date": "CURRENT_DATE",
    "current_time": "CURRENT_TIME",
    "localtimestamp": "LOCALTIMESTAMP",
    "current_user": "CURRENT_USER",
    "clock_timestamp()": "clock_timestamp()",
    "statement_timestamp()": "statement_timestamp()",
    "transaction_timestamp()": "transaction_timestamp()",
    "gen_random_uuid()": "gen_random_uuid()",
}


@dataclass(frozen=True)
class Default:
    """A column default: ``literal`` text (None for SQL NULL) or an allow-listed ``expression``."""

    literal: str | None = None
    expression: str | None = None
    value: Any = None  # the literal as the user wrote it (str, int, float, bool)

    def as_sql(self) -> sql.Composable:
        if self.expression is not None:
            return sql.SQL(self.expression)  # type: ignore[arg-type]  # from EXPRESSIONS only
        return sql.Literal(self.value)

    def same_as(self, other: Default) -> bool:
        if (self.expression is None) != (other.expression is None):
            return False
        if self.expression is not None:
            return self.expression == other.expression
        if self.literal == other.literal:
            return True
        try:
            return Decimal(str(self.literal)) == Decimal(str(other.literal))
        except (InvalidOperation, ValueError):
            return False

    def to_spec(self) -> Any:
        if self.expression is not None:
            return {"expression": self.expression}
        return self.value if self.value is not None else self.literal


def parse_default(value: Any, where: str) -> Default | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return Default(literal="true" if value else "false", value=value)
    if isinstance(value, int | float):
        return Default(literal=str(value), value=value)
    if isinstance(value, str):
        if "\x00" in value:
            raise ConfigError(f"{where}: default may not contain NUL characters")
        return Default(literal=value, value=value)
    if isinstance(value, dict) and set(value) == {"expression"}:
        expr = value["expression"]
        canonical = EXPRESSIONS.get(" ".join(str(expr).lower().split()))
        if canonical is None:
            raise ConfigError(
                f"{where}: expression {expr!r} is not allowed (allowed: {', '.join(sorted(EXPRESSIONS))})"
            )
        return Default(expression=canonical)
    raise ConfigError(f"{where}: a default is a string, number, boolean or {{expression: ...}}")


_QUOTED = re.compile(r"^'((?:[^']|'')*)'(?:::[a-z][a-z0-9 ()\[\],]*)?$", re.S)
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$", re.I)


def parse_live_default(expr: str | None) -> Default | None:
    """Read ``pg_get_expr(adbin)`` back into a Default (expressions Kedge did not write stay raw)."""
    if expr is None:
        return None
    m = _QUOTED.match(expr)
    if m:
        text = m.group(1).replace("''", "'")
        return Default(literal=text, value=text)
    if _NUMBER.match(expr):
        return Default(literal=expr, value=int(expr) if expr.lstrip("-").isdigit() else float(expr))
    if expr in ("true", "false"):
        return Default(literal=expr, value=expr == "true")
    if expr.upper().startswith("NULL"):
        return None
    return Default(expression=expr)
