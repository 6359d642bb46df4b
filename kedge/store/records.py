"""What the store hands back besides ``kedge.model`` types: intents, apply history, apps,
events, API tokens and audit entries.

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


APP_SOURCES: Final = frozenset({"api", "config", "git"})  # where an Application was declared
DRIFT: Final = "drift"  # the event type that ``open_drift`` and ``mark_reverted`` work with
ROLES: Final = ("viewer", "operator", "admin")  # API token roles, weakest first


@dataclass(frozen=True)
class AppRecord:
    """An Application as the controller keeps it. ``spec`` holds references, never secrets;
    ``status`` is what the controller last wrote (sync, health, conditions, revisions)."""

    name: str
    spec: Mapping[str, Any]
    status: Mapping[str, Any]
    suspended: bool
    pinned_revision: str | None
    source: str  # api | config | git | app:<parent>
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Event:
    """Something that happened to an app. A ``drift`` event stays open until ``reverted_at``."""

    id: int
    app: str
    type: str
    resource_kind: str | None
    resource_name: str | None
    fields: list[dict[str, Any]] | None
    message: str | None
    detected_at: datetime
    reverted_at: datetime | None


@dataclass(frozen=True)
class TokenRecord:
    """An API token without its secret. ``apps`` limits it to those apps (None: every app)."""

    id: int
    name: str
    role: str
    apps: list[str] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def allows(self, role: str) -> bool:
        """Whether this token's role is at least ``role`` (viewer < operator < admin)."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class AuditEntry:
    """One link of the audit chain: ``hash`` is sha256(prev_hash + canonical JSON of the entry
    without its hash), see ``kedge.store.audit_chain``."""

    seq: int
    time: datetime
    actor: str
    action: str
    app: str | None
    resource: str | None
    revision: str | None
    diff: Any
    result: str
    details: Mapping[str, Any] | None
    hash: str
    prev_hash: str

    def to_json(self) -> dict[str, Any]:
        """The entry as exported (one JSON line each) and served by the API."""
        return {
            "seq": self.seq,
            "time": self.time.isoformat(timespec="microseconds"),
            "actor": self.actor,
            "action": self.action,
            "app": self.app,
            "resource": self.resource,
            "revision": self.revision,
            "diff": self.diff,
            "result": self.result,
            "details": None if self.details is None else dict(self.details),
            "prevHash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that entry ``seq`` of the chain has hash ``head``. ``signature`` and
    ``public_key`` are base64 (the key as its raw 32 bytes)."""

    seq: int
    head: str
    signature: str
    public_key: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "head": self.head,
            "signature": self.signature,
            "publicKey": self.public_key,
            "time": self.created_at.isoformat(timespec="microseconds"),
        }


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of replaying the chain. ``first_bad`` is the sequence number of the first
    entry found wrong (None when the chain is intact, or when only a checkpoint is wrong);
    ``checkpoints`` counts the checkpoints whose head matched (and whose signature was checked
    when public keys were given)."""

    ok: bool
    entries: int
    first_bad: int | None
    reason: str | None
    checkpoints: int
    signatures_checked: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "firstBad": self.first_bad,
            "reason": self.reason,
            "checkpoints": self.checkpoints,
            "signaturesChecked": self.signatures_checked,
        }


_SCALARS = (str, int, float, bool, type(None))
_EXACT = frozenset({str, int, float, bool, type(None)})  # the common case, without isinstance


class _NotPlain(Exception):
    """A value ``_copy`` cannot store; ``_checked`` finds where and says why."""


def document(value: Any, where: str) -> Any:
    """``value`` as plain JSON data; ``TypeError`` for a ``Secret`` or a non-JSON value.

    ``where`` names the place for the message (``spec``, ``diff[2].after``); the secret's value
    never appears in it, only where it came from (``fromEnv X``) when known. Places are spelled
    out only for a value that is refused: every stored spec passes here.
    """
    try:
        return _copy(value)
    except _NotPlain:
        return _checked(value, where)


def _copy(value: Any) -> Any:
    if value.__class__ in _EXACT:
        return value
    if isinstance(value, Secret):
        raise _NotPlain
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Mapping):
        return {str(k): _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    raise _NotPlain


def _checked(value: Any, where: str) -> Any:
    if isinstance(value, Secret):
        source = f" ({value.source})" if value.source else ""
        raise TypeError(
            f"refusing to store a secret value at {where}{source}: "
            "the state store keeps specs with their references unresolved"
        )
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Mapping):
        return {str(k): _checked(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_checked(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"cannot store a value of type {type(value).__name__} at {where}: only JSON values")
