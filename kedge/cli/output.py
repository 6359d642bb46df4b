"""Rendering for humans: diagnostics like a compiler, plans like Terraform, with colours.

Secrets are redacted before anything reaches the terminal (``kedge.model.values.redact``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
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


def plan(p: Plan) -> None:
    shown = [c for c in p.changes if c.is_change or c.drift]
    if not shown:
        out.print("[green]No changes.[/] The real world matches the manifests.")
        return
    out.print("Kedge will perform the following actions:\n")
    for c in shown:
        _change(c)
    s = p.summary()
    out.print(
        f"[bold]Plan:[/] {s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
        f"{s['delete']} to delete, {s['noop']} unchanged."
    )


def _change(c: Change) -> None:
    symbol, colour = SYMBOL[c.action]
    label = c.action.value if c.action is not Action.NOOP else "no change"
    reason = f": {c.reason}" if c.reason else ""
    out.print(f"  [{colour}]{symbol}[/] [bold]{escape(str(c.key))}[/] [dim]({label}{escape(reason)})[/]")
    if c.action is Action.CREATE and c.after is not None:
        for k, v in c.after.items():
            out.print(f"      [green]+[/] {escape(k)} = {escape(fmt(v))}")
    elif c.action is Action.DELETE:
        pass
    else:
        for d in c.diff:
            before, after = escape(fmt(d.before)), escape(fmt(d.after))
            out.print(f"      [yellow]~[/] {escape(d.path)}: {before} [dim]->[/] {after}")
    for statement in c.statements:
        out.print(f"      [cyan]{escape(statement)}[/]")
    out.print()
