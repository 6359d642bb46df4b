"""JSON views of apps, history, events and resources, in the shapes of the design (section 4)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kedge.engine import AppRun
from kedge.planning import Action

STATUS_KEYS = ("sync", "health", "lastAppliedRevision", "lastAttemptedRevision", "conditions")


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def app_view(record: Any) -> dict[str, Any]:
    status = dict(record.status or {})
    view = {key: status.get(key) for key in STATUS_KEYS}
    view["sync"] = view["sync"] or "Unknown"
    view["health"] = view["health"] or "Unknown"
    view["conditions"] = view["conditions"] or []
    view["suspended"] = bool(record.suspended)
    view["pinnedRevision"] = record.pinned_revision
    view["observedAt"] = status.get("observedAt")
    view["summary"] = status.get("summary") or {}
    if status.get("claims"):
        view["claims"] = status["claims"]
    return {"name": record.name, "spec": dict(record.spec), "status": view, "source": record.source}


def history_view(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "revision": run.revision,
        "trigger": run.trigger,
        "actor": run.actor,
        "result": run.result,
        "startedAt": _time(run.started_at),
        "finishedAt": _time(run.finished_at),
        "summary": dict(run.summary or {}),
        "message": run.message,
    }


def event_view(event: Any) -> dict[str, Any]:
    resource = {"kind": event.resource_kind, "name": event.resource_name} if event.resource_kind else None
    return {
        "id": event.id,
        "type": event.type,
        "resource": resource,
        "fields": list(event.fields or []),
        "message": event.message,
        "detectedAt": _time(event.detected_at),
        "revertedAt": _time(event.reverted_at),
    }


def resources_view(run: AppRun, failed: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Each rendered resource with its live state; ``failed`` ("Kind/name" -> error) marks the
    resources whose change failed in the last sync as ``Failed`` while they are not in sync."""
    graph = run.rendered.graph
    by_key = {c.key: c for c in run.plan.changes}
    failed = failed or {}
    out = []
    for r in run.rendered.resources:
        change = by_key.get(r.key)
        error = failed.get(str(r.key))
        if error is not None and (change is None or change.is_change or change.diff):
            state = "Failed"
        elif change is None:
            state = "Unknown"
        elif change.action is Action.CREATE:
            state = "Missing"
        elif change.is_change or change.diff:
            state = "OutOfSync"
        else:
            state = "Synced"
        deps = sorted(str(k) for k in graph.deps.get(r.key, frozenset())) if graph else []
        out.append(
            {
                "apiVersion": r.key.api_version,
                "kind": r.key.kind,
                "name": r.key.name,
                "status": state,
                "dependsOn": deps,
                **({"error": error} if state == "Failed" else {}),
                **({"claim": claim.to_json()} if (claim := r.claim) is not None else {}),
            }
        )
    return out
