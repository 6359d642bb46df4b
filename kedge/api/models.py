"""The request and response bodies of the REST API, as pydantic models.

They make the OpenAPI document at ``/openapi.json`` and check every request. Request models are
strict (no "1" for 1, no "yes" for true) and refuse unknown fields, so a typo is a 422 that
names the field instead of a setting silently ignored. Response models list the fields the
design promises and allow more: the control plane may add fields without breaking clients.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

APP_NAME = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
TOKEN_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"  # noqa: S105 (a pattern)
APP_PATTERN = r"^[a-z0-9*?\[\]!-]{1,63}$"
MAX_ID = 2**53 - 1  # exact in every JSON parser, and within a database integer
DURATION = r"^[1-9][0-9]{0,3}[smhdw]$"

AppName = Annotated[str, Field(pattern=APP_NAME, description="Lower-case letters, digits and '-'.")]
SyncStatus = Literal["Synced", "OutOfSync", "Unknown"]
HealthStatus = Literal["Healthy", "Progressing", "Degraded", "Missing", "Unknown"]


class Input(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class View(BaseModel):
    model_config = ConfigDict(extra="allow")


class Problem(BaseModel):
    code: str = Field(description="Stable, machine-readable: unauthorized, forbidden, not_found, ...")
    message: str = Field(description="For humans: what went wrong and what to do.")
    details: Any = Field(default=None, description="Per-field errors, diagnostics or limits.")


class Condition(View):
    type: str
    status: str
    reason: str | None = None
    message: str | None = None


class AppStatus(View):
    sync: SyncStatus
    health: HealthStatus
    lastAppliedRevision: str | None = None
    lastAttemptedRevision: str | None = None
    conditions: list[Condition] = []
    suspended: bool = False
    # An app with claims also has ``claims``: each claim's last result {kind, name, status,
    # resources, message, ready, waiting: [{resource, id, readyWhen, reason}]} (an extra field,
    # absent otherwise, so the status shape is unchanged).


class App(View):
    name: str
    spec: dict[str, Any]
    status: AppStatus


REPO_URL = r"^(https?://|ssh://|git://|file://|git@|/)[!-~]+$"


class AppSource(View):
    repoURL: Annotated[str, Field(pattern=REPO_URL, max_length=2048, description="https://, ssh://, git@...")]
    path: str | None = None
    targetRevision: str | None = None


class AppSpec(View):
    """As the spec of a ``kind: Application`` document; the control plane checks the rest."""

    model_config = ConfigDict(extra="allow", strict=True)
    source: AppSource
    syncPolicy: dict[str, Any] | None = None


class AppCreate(Input):
    name: AppName
    spec: AppSpec


class SyncRequest(Input):
    revision: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    prune: bool | None = None
    confirmPrune: bool = Field(default=False, description="Allow a prune of more than half the app.")


def _whole(value: Any) -> Any:
    """JSON has one number type: 3.0 is the integer 3 (as JSON Schema says), 3.5 is not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class RollbackRequest(Input):
    id: Annotated[int, Field(ge=1, le=MAX_ID, description="A history entry's id."), BeforeValidator(_whole)]


class Operation(View):
    id: str
    app: str
    type: str
    state: str


class HistoryEntry(View):
    id: int
    revision: str | None = None
    trigger: str | None = None
    result: str | None = None
    startedAt: str | None = None
    finishedAt: str | None = None
    message: str | None = Field(default=None, description="Why it failed, for a failed attempt.")


class ResourceRef(View):
    kind: str | None = None
    name: str | None = None


class Event(View):
    type: str
    resource: ResourceRef | None = None
    fields: list[Any] = []
    detectedAt: str | None = None
    revertedAt: str | None = None


class ResourceView(View):
    """A resource of the app; one that a claim composed also has ``claim: {kind, name}``."""

    apiVersion: str
    kind: str
    name: str
    status: str
    dependsOn: list[str] = []


class PlanView(View):
    changes: list[dict[str, Any]] = []
    summary: dict[str, int] = {}
    diagnostics: list[dict[str, Any]] = []


class CostComponent(View):
    name: str
    unit: str
    quantity: float
    price: float = Field(description="Currency per unit (list price)")
    monthly: float


class ResourceCost(View):
    apiVersion: str
    kind: str
    name: str
    monthly: float
    components: list[CostComponent] = []


class Unpriced(View):
    kind: str
    name: str
    reason: str


class ClaimResourceCost(View):
    apiVersion: str
    kind: str
    name: str
    monthly: float | None = Field(description="Null when the resource is unpriced")


class ClaimCost(View):
    kind: str
    name: str
    monthly: float = Field(description="The sum of its composed resources' monthly cost")
    resources: list[ClaimResourceCost] = []


class CostView(View):
    currency: str
    total: float = Field(description="Monthly, 730 hours a month, list prices")
    resources: list[ResourceCost] = []
    unpriced: list[Unpriced] = []
    diagnostics: list[dict[str, Any]] = []
    claims: list[ClaimCost] = Field(default=[], description="Each claim's cost (empty without claims)")


class AuditEntry(View):
    seq: int
    time: str
    actor: str
    action: str
    app: str | None = None
    resource: str | None = None
    revision: str | None = None
    result: str | None = None
    diff: Any = None
    details: Any = None
    hash: str
    prevHash: str | None = None


class AuditVerification(View):
    ok: bool
    entries: int
    firstBad: int | None = None
    reason: str | None = None


class TokenCreate(Input):
    name: Annotated[str, Field(pattern=TOKEN_NAME)]
    role: Literal["viewer", "operator", "admin"]
    expiresIn: Annotated[str, Field(pattern=DURATION, description="30d, 12h, 45m, 90s or 2w.")] | None = None
    apps: (
        Annotated[list[Annotated[str, Field(pattern=APP_PATTERN)]], Field(min_length=1, max_length=50)] | None
    ) = Field(default=None, description="App name patterns (fnmatch) the token is limited to.")


class Token(View):
    name: str
    role: str
    apps: list[str] | None = None
    createdAt: str | None = None
    expiresAt: str | None = None
    revokedAt: str | None = None
    lastUsedAt: str | None = None


class TokenCreated(Token):
    token: str = Field(description="The token itself: shown this once, never again.")


class WebhookResult(View):
    apps: list[str]


class Health(BaseModel):
    ok: bool


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text}
    for status, text in (
        (400, "Bad request"),
        (401, "No valid credentials"),
        (403, "Role too low or request refused"),
        (404, "Not found"),
        (409, "Conflict: the name or identity is taken"),
        (413, "Body too large"),
        (422, "Invalid input; details name the fields"),
        (429, "Too many failed sign-ins"),
        (503, "Temporarily unavailable; retry later"),
    )
}


class ReplicaView(View):
    name: str = Field(description="The replica's instance name: its host and a suffix new at each start.")
    lastSeen: str = Field(description="Its last heartbeat, by the database's clock (ISO 8601).")
    apps: list[str] = Field(description="The apps it owns now.")
