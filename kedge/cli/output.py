"""Rendering for humans: diagnostics like a compiler, plans like Terraform, with colours.

Secrets are redacted before anything reaches the terminal (``kedge.model.values.redact``).

Rich and the plan model are imported on first use, not on import: every command module imports
this one, and ``kedge --help`` must not pay for them. ``out`` and ``err`` are the two consoles.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

__all__ = ["err", "escape", "out"]

if TYPE_CHECKING:
    from rich.console import Console

    from kedge.model import Diagnostic
    from kedge.planning import Change, Plan

    out: Console
    err: Console

_consoles: dict[str, Console] = {}


def console(name: str) -> Console:
    """``out`` (standard output) or ``err`` (standard error), made on first use."""
    if name not in _consoles:
        from rich.console import Console

        _consoles[name] = Console(stderr=name == "err", highlight=False, soft_wrap=True)
    return _consoles[name]


def __getattr__(name: str) -> Any:
    if name in ("out", "err"):
        return console(name)
    raise AttributeError(name)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _symbols() -> dict[Any, tuple[str, str]]:
    from kedge.planning import Action

    return {
        Action.CREATE: ("+", "green"),
        Action.UPDATE: ("~", "yellow"),
        Action.REPLACE: ("-/+", "magenta"),
        Action.DELETE: ("-", "red"),
        Action.NOOP: (" ", "dim"),
        Action.RECORD: ("=", "cyan"),
        Action.MIGRATE: (">>", "blue"),
    }


SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def diagnostics(items: Iterable[Diagnostic]) -> None:
    for d in items:
        style = SEVERITY_STYLE.get(d.severity.value, "")
        where = f"{escape(d.location())}: " if d.file or d.path else ""
        console("err").print(f"{where}[{style}]{d.severity.value}[/]: {escape(d.message)}")


def fmt(value: Any) -> str:
    from kedge.model.values import redact

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
    out = console("out")
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
        f"{s['replace']} to replace, {s['delete']} to delete, {s['noop']} unchanged"
        + (f", {s['record']} to record" if s.get("record") else "")
        + (f", {s['migrate']} to migrate." if s.get("migrate") else ".")
    )
    out.file.write("\n".join(lines) + "\n")
    out.file.flush()


def field_lines(path: str, before: Any, after: Any, paint: Callable[[str, str], str]) -> list[str]:
    """One changed field: ``path: before -> after``, or line by line for multi-line text (as
    ``terraform plan`` shows a changed file)."""
    from kedge.planning.lines import is_multiline, line_diff

    if not is_multiline(before, after):
        return [f"      {paint('~', 'yellow')} {path}: {fmt(before)} {paint('->', 'dim')} {fmt(after)}"]
    colour = {"-": "red", "+": "green", "…": "dim", " ": "dim"}
    out = [f"      {paint('~', 'yellow')} {path}:"]
    marks = line_diff(before, after)
    out.extend(f"          {paint(f'{mark} {text}', colour[mark])}" for mark, text in marks)
    return out


def _change(c: Change, paint: Callable[[str, str], str]) -> list[str]:
    from kedge.planning import Action

    symbol, colour = _symbols()[c.action]
    label = c.action.value if c.action is not Action.NOOP else "no change"
    reason = f": {c.reason}" if c.reason else ""
    lines = [f"  {paint(symbol, colour)} {paint(str(c.key), 'bold')} {paint(f'({label}{reason})', 'dim')}"]
    if c.action is Action.CREATE and c.after is not None:
        lines.extend(f"      {paint('+', 'green')} {k} = {fmt(v)}" for k, v in c.after.items())
    elif c.action is not Action.DELETE:
        from kedge.model.values import redact

        for d in c.diff:
            lines.extend(field_lines(d.path, redact(d.before), redact(d.after), paint))
    lines.extend(f"      {paint(statement, 'cyan')}" for statement in c.statements)
    for copy in c.migration.copies if c.migration is not None else ():
        counted = (
            "objects unknown" if copy.objects is None else f"{copy.objects} object(s), {copy.bytes} bytes"
        )
        lines.append(f"      {paint('>>', 'blue')} copy {copy.source} -> {copy.target}: {counted}")
    lines.append("")
    return lines


def short(revision: Any) -> str:
    """A git revision as tables show it: the first 12 characters (JSON keeps the full one)."""
    return str(revision or "")[:12]


def columns(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A table as kubectl prints one: aligned plain columns, nothing cut or wrapped whatever the
    width of the terminal or pipe. Cells may hold Rich markup; it is measured without it."""
    from rich.text import Text

    grid = [[Text.from_markup(cell) for cell in row] for row in [list(headers), *rows]]
    widths = [max(cell.cell_len for cell in column) for column in zip(*grid, strict=False)]
    for number, row in enumerate(grid):
        line = Text(style="bold" if number == 0 else "")
        for index, cell in enumerate(row):
            line.append_text(cell)
            if index < len(row) - 1:
                line.append(" " * (widths[index] - cell.cell_len + 3))
        console("out").print(line, soft_wrap=True, crop=False)


def confirm(question: str, refused: str, flag: str = "--auto-approve") -> None:
    """The one confirmation of every command, as ``terraform apply`` asks: print ``question`` on
    stderr and read a line of stdin (a terminal or a pipe); only ``yes`` goes on. Anything else
    prints ``refused`` (what was not done) and exits 1; a closed stdin is a refusal too, so a
    script never hangs on a prompt."""
    import typer

    stream = console("err")
    stream.print(f"{question} Only 'yes' is accepted: ", end="")
    line = sys.stdin.readline()
    if not line:
        stream.print()
        stream.print(f"{escape(refused)} (stdin is closed: answer 'yes' or pass {flag})")
        raise typer.Exit(1)
    if line.strip().lower() != "yes":
        stream.print(escape(refused))
        raise typer.Exit(1)
