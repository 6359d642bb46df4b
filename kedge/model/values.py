"""Value wrappers that travel inside a resource spec.

``Secret`` holds a value read from ``fromEnv``/``fromFile``/``encrypted``: it compares by value
but never prints it, so a plan, a log line or an exception that formats a spec cannot leak it.
``UNKNOWN`` stands for an output of another resource that exists only after apply
("known after apply" in a plan).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "(sensitive)"


class Secret:
    __slots__ = ("_value", "source")

    def __init__(self, value: Any, source: str = "") -> None:
        self._value = value
        self.source = source  # e.g. "fromEnv APP_PASSWORD": safe to show

    def reveal(self) -> Any:
        return self._value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return bool(self._value == other._value)
        return bool(self._value == other)

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__


class Unknown:
    """Singleton for a value known only after apply."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    __str__ = __repr__


UNKNOWN = Unknown()


def reveal(value: Any) -> Any:
    """Return ``value`` with every ``Secret`` replaced by its clear value (for providers only)."""
    if isinstance(value, Secret):
        return reveal(value.reveal())
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v) for v in value]
    return value


def redact(value: Any) -> Any:
    """Return ``value`` with every ``Secret`` replaced by the redaction marker (for display)."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, Unknown):
        return str(value)
    if isinstance(value, Mapping):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, Mapping):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_secret(v) for v in value)
    return False


def contains_unknown(value: Any) -> bool:
    """Whether a (resolved) spec still waits for an output known only after apply."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


def secret_values(value: Any) -> Iterable[str]:
    """Every clear secret string inside ``value`` (to scrub them out of error text)."""
    if isinstance(value, Secret):
        inner = value.reveal()
        if isinstance(inner, str | int | float):
            yield str(inner)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from secret_values(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from secret_values(v)


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret value in ``text`` (error messages from providers)."""
    for s in sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True):
        text = text.replace(s, REDACTED)
    return text


class Reference:
    """``{fromResource: {kind, name, field}}``: an output of another resource of the same app."""

    __slots__ = ("field", "kind", "name")

    def __init__(self, kind: str, name: str, field: str) -> None:
        self.kind = kind
        self.name = name
        self.field = field

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and (self.kind, self.name, self.field) == (
            other.kind,
            other.name,
            other.field,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.name, self.field))

    def __repr__(self) -> str:
        return f"(output {self.field} of {self.kind}/{self.name})"


def references(value: Any) -> Iterable[Reference]:
    """Every ``Reference`` inside a spec value."""
    if isinstance(value, Reference):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from references(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from references(v)
