"""The Jinja2 environment of the web UI: templates shipped in the package, autoescaped.

Every value a template prints goes through autoescaping; control-plane data is passed through
``redact`` first, so a ``Secret`` that reached a view shows as ``(sensitive)`` and never in
clear. Filters turn times, values and statuses into short readable text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from kedge.model.values import REDACTED, Secret, Unknown, redact
from kedge.planning.lines import is_multiline, line_diff

BADGE = {
    "Synced": "ok",
    "Healthy": "ok",
    "succeeded": "ok",
    "ok": "ok",
    "OutOfSync": "warn",
    "Progressing": "info",
    "running": "info",
    "queued": "info",
    "Degraded": "bad",
    "Missing": "bad",
    "failed": "bad",
    "partial": "warn",
    "interrupted": "warn",
}


def safe(value: Any) -> Any:
    """``value`` with every ``Secret`` redacted, ready for a template."""
    return redact(value)


def when(value: Any) -> str:
    """An ISO time as ``2024-05-01 12:03:04`` (UTC as given); empty for None."""
    if not value:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


def timetag(value: Any, now: datetime | None = None) -> Markup:
    """``<time>`` saying how long ago (``5 min ago``), the absolute time and zone on hover."""
    if not value:
        return Markup("")
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return Markup("<time>{}</time>").format(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    absolute = parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(text, absolute, ago(parsed, now))


def ago(then: datetime, now: datetime | None = None) -> str:
    seconds = ((now or datetime.now(UTC)) - then).total_seconds()
    if seconds < 0:
        return "just now" if seconds > -60 else "in the future"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} s ago" if seconds >= 1 else "just now"


def lines(change: Any) -> list[tuple[str, str]]:
    """A diff entry's before/after as line-by-line marks when they are multi-line text, else []."""
    if not isinstance(change, dict):
        return []
    before, after = change.get("before"), change.get("after")
    return line_diff(before, after) if is_multiline(before, after) else []


def show(value: Any) -> str:
    """A spec or diff value as one short line of JSON."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, Unknown):
        return str(value)
    text = value if isinstance(value, str) else json.dumps(redact(value), default=str, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "…"


def badge(value: Any) -> str:
    return BADGE.get(str(value), "unknown")


def short(revision: Any) -> str:
    text = "" if revision is None else str(revision)
    return text[:12] if len(text) == 40 and all(c in "0123456789abcdef" for c in text) else text


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kedge.ui", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, show=show, badge=badge, short=short, timetag=timetag, lines=lines)
    return env


def page(template: str, /, **context: Any) -> str:
    return environment().get_template(template).render(**{k: safe(v) for k, v in context.items()})
