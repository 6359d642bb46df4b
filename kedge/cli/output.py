"""Rendering for humans: diagnostics like a compiler, plans like Terraform, with colours.

Secrets are redacted before anything reaches the terminal (``kedge.model.values.redact``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape

__all__ = ["err", "escape", "out"]

from kedge.model import Diagnostic
from kedge.model.values import redact
from kedge.planning import Action, Change, Plan

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SYMBOL = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.REPLACE: ("-/+", "magenta"),
    Action.DELETE: ("-", "red"),
    Action.NOOP: (" ", "dim"),
}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def diagnostics(items: Iterable[Diagnostic]) -> None:
    for d in items:
        style = SEVERITY_STYLE.get(d.severity.value, "")
        where = f"{escape(d.location())}: " if d.file or d.path else ""
        err.print(f"{where}[{style}]{d.severity.value}[/]: {escape(d.message)}")


def fmt(value: Any) -> str:
    value = redact(value)
    if isinstance(value, str) and value in ("(sensitive)", "(known after apply)"):
        return value
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "..."


ANSI = {"green": "32", "yellow": "33", "magenta": "35", "red": "31", "dim": "2", "bold": "1", "cyan": "36"}


def _painter(console: Console) -> Callable[[str, str], str]:
    """Colour by ANSI code directly: a plan of 10,000 changes must print in well under a second,
    which Rich's per-line markup rendering cannot do."""
    if console.is_terminal and not console.no_color:
        return lambda text, style: f"\x1b[{ANSI[style]}m{text}\x1b[0m"
    return lambda text, style: text


def plan(p: Plan) -> None:
    paint = _painter(out)
    shown = [c for c in p.changes if c.is_change or c.drift]
    if not shown:
        out.print("[green]No changes.[/] The real world matches the manifests.")
        return
    lines = ["Kedge will perform the following actions:", ""]
    claims: dict[str, list[Change]] = {}
    for c in shown:
        claim = c.claim_ref
        if claim is None:
            lines.extend(_change(c, paint))
        else:
            claims.setdefault(str(claim), []).append(c)
    for claim_name, members in claims.items():  # composed resources under their claim
        lines.append(f"  {paint(claim_name, 'bold')} {paint('(claim)', 'dim')}")
        lines.extend("  " + line if line else line for c in members for line in _change(c, paint))
    s = p.summary()
    lines.append(
        f"{paint('Plan:', 'bold')} {s['create']} to create, {s['update']} to update, "
        f"{s['replace']} to replace, {s['delete']} to delete, {s['noop']} unchanged."
    )
    out.file.write("\n".join(lines) + "\n")
    out.file.flush()


def _change(c: Change, paint: Callable[[str, str], str]) -> list[str]:
    symbol, colour = SYMBOL[c.action]
    label = c.action.value if c.action is not Action.NOOP else "no change"
    reason = f": {c.reason}" if c.reason else ""
    lines = [f"  {paint(symbol, colour)} {paint(str(c.key), 'bold')} {paint(f'({label}{reason})', 'dim')}"]
    if c.action is Action.CREATE and c.after is not None:
        lines.extend(f"      {paint('+', 'green')} {k} = {fmt(v)}" for k, v in c.after.items())
    elif c.action is not Action.DELETE:
        lines.extend(
            f"      {paint('~', 'yellow')} {d.path}: {fmt(d.before)} {paint('->', 'dim')} {fmt(d.after)}"
            for d in c.diff
        )
    lines.extend(f"      {paint(statement, 'cyan')}" for statement in c.statements)
    lines.append("")
    return lines
