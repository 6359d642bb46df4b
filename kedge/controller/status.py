"""The status model (after Argo CD and Flux): sync, health and conditions of one app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SYNCED, OUT_OF_SYNC, UNKNOWN = "Synced", "OutOfSync", "Unknown"
HEALTHY, PROGRESSING, DEGRADED, MISSING = "Healthy", "Progressing", "Degraded", "Missing"
APP_CONDITIONS = ("Ready", "Reconciling", "Stalled")  # the rest are reported by providers


@dataclass
class Status:
    sync: str = UNKNOWN
    health: str = UNKNOWN
    last_applied_revision: str | None = None
    last_attempted_revision: str | None = None
    conditions: dict[str, dict[str, str]] = field(default_factory=dict)
    observed_at: str | None = None
    summary: dict[str, int] = field(default_factory=dict)
    claims: list[dict[str, Any]] = field(default_factory=list)  # each claim's last result

    def condition(self, kind: str, status: bool, reason: str, message: str = "") -> None:
        self.conditions[kind] = {
            "type": kind,
            "status": "True" if status else "False",
            "reason": reason,
            "message": message,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "sync": self.sync,
            "health": self.health,
            "lastAppliedRevision": self.last_applied_revision,
            "lastAttemptedRevision": self.last_attempted_revision,
            "conditions": [self.conditions[k] for k in APP_CONDITIONS if k in self.conditions]
            + [c for k, c in sorted(self.conditions.items()) if k not in APP_CONDITIONS],
            "observedAt": self.observed_at,
            "summary": self.summary,
            **({"claims": self.claims} if self.claims else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Status:
        data = data or {}
        return cls(
            sync=data.get("sync", UNKNOWN),
            health=data.get("health", UNKNOWN),
            last_applied_revision=data.get("lastAppliedRevision"),
            last_attempted_revision=data.get("lastAttemptedRevision"),
            conditions={c["type"]: dict(c) for c in data.get("conditions", [])},
            observed_at=data.get("observedAt"),
            summary=dict(data.get("summary") or {}),
            claims=list(data.get("claims") or []),
        )
