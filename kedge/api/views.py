"""What leaves the server: control-plane views made JSON-safe, with every secret redacted.

Everything the API sends (responses, stream events) is serialised by ``dumps`` (or made plain
by ``public``): a ``Secret`` becomes ``(sensitive)`` whatever depth it hides at, times become
ISO 8601 strings, and anything else that is not JSON becomes its ``str`` (never its ``repr``,
which for some types reveals more). The walk happens in orjson's C encoder, which calls back
only for the values it does not know: a thousand apps serialise in well under a millisecond.
``app_view`` fills the status fields the design promises without copying the whole view.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from kedge.model.values import REDACTED, Secret

SYNC = ("Synced", "OutOfSync", "Unknown")
HEALTH = ("Healthy", "Progressing", "Degraded", "Missing", "Unknown")
_OPTIONS = orjson.OPT_NON_STR_KEYS


def _fallback(value: Any) -> Any:
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)  # Unknown ("(known after apply)"), enums, paths, anything else


def dumps(value: Any) -> bytes:
    """Compact JSON with secrets redacted."""
    try:
        return orjson.dumps(value, default=_fallback, option=_OPTIONS)
    except orjson.JSONEncodeError:  # integers past 64 bits, nesting past orjson's limit
        return json.dumps(value, default=_fallback, separators=(",", ":"), ensure_ascii=False).encode()


def public(value: Any) -> Any:
    """``value`` as plain JSON data (dicts, lists, strings, numbers), secrets redacted."""
    return orjson.loads(dumps(value))


def app_view(view: Mapping[str, Any]) -> dict[str, Any]:
    """One app in the design's shape: ``{name, spec, status: {sync, health, ...}}``.

    Only the top level and ``status`` are rebuilt; nested values are left for ``dumps``.
    """
    raw_status = view.get("status")
    status = dict(raw_status) if isinstance(raw_status, Mapping) else {}
    if status.get("sync") not in SYNC:
        status["sync"] = "Unknown"
    if status.get("health") not in HEALTH:
        status["health"] = "Unknown"
    for key in ("lastAppliedRevision", "lastAttemptedRevision"):
        if not isinstance(status.get(key), str):
            status[key] = None
    conditions = status.get("conditions")
    status["conditions"] = [
        {
            **c,
            "type": str(c.get("type", "")),
            "status": str(c.get("status", "")),
            "reason": None if c.get("reason") is None else str(c["reason"]),
            "message": None if c.get("message") is None else str(c["message"]),
        }
        for c in (conditions if isinstance(conditions, list) else [])
        if isinstance(c, Mapping)
    ]
    status["suspended"] = bool(status.get("suspended", False))
    spec = view.get("spec")
    return {
        **view,
        "name": str(view.get("name", "")),
        "spec": spec if isinstance(spec, Mapping) else {},
        "status": status,
    }
