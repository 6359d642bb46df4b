"""What the store hands back besides ``kedge.model`` types: intents and apply history.

Also the one gate every stored document passes through (``document``): it turns mappings and
sequences into plain JSON and refuses a ``Secret`` anywhere inside, so a resolved secret cannot
reach the database even if a caller passes the resolved spec by mistake.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from kedge.model import Identity, ResourceKey
from kedge.model.values import Secret

RUNNING: Final = "running"
INTERRUPTED: Final = "interrupted"
RESULT_OUTCOMES: Final = frozenset({"succeeded", "failed", "skipped"})  # one change
RUN_OUTCOMES: Final = frozenset({"succeeded", "failed", "partial"})  # a whole run


@dataclass(frozen=True)
class Intent:
    """A create that was about to happen. One left behind means the run died mid-create:
    the next run must observe the identity before it creates anything."""

    id: int
    app: str
    key: ResourceKey
    identity: Identity
    spec: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class RunResult:
    key: ResourceKey
    action: str  # create | update | replace | delete | ...
    result: str  # succeeded | failed | skipped
    diff: list[dict[str, Any]] | None = None
    error: str | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class Run:
    """One apply or sync. ``result`` is ``running`` until finished, ``interrupted`` when the
    process died before finishing it."""

    id: int
    app: str
    revision: str | None
    trigger: str
    actor: str
    result: str
    started_at: datetime
    finished_at: datetime | None
    summary: Mapping[str, int] | None
    message: str | None
    results: list[RunResult] = field(default_factory=list)


_SCALARS = (str, int, float, bool, type(None))


def document(value: Any, where: str) -> Any:
    """``value`` as plain JSON data; ``TypeError`` for a ``Secret`` or a non-JSON value.

    ``where`` names the place for the message (``spec``, ``diff[2].after``); the secret's value
    never appears in it, only where it came from (``fromEnv X``) when known.
    """
    if isinstance(value, Secret):
        source = f" ({value.source})" if value.source else ""
        raise TypeError(
            f"refusing to store a secret value at {where}{source}: "
            "the state store keeps specs with their references unresolved"
        )
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Mapping):
        return {str(k): document(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [document(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"cannot store a value of type {type(value).__name__} at {where}: only JSON values")
