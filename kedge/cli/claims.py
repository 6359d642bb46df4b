"""Claims on the command line: ``kedge explain <claim kind>`` and each claim's readiness.

An app team reads what it may write in a claim; the schema shown is the one claims are checked
against (unknown fields refused, defaults filled in). ``plan`` and ``apply`` show whether each
claim is ready and, when not, which resource and ``readyWhen`` expression hold it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kedge.cli import output
from kedge.compositions import Definition, Platform, build_platform
from kedge.engine.platform import load_platform
from kedge.model import ConfigError

if TYPE_CHECKING:
    from kedge.engine import AppRun, Engine

LISTED = 20  # claims listed one by one when ready; past that, counted


def find_definition(name: str, directories: Sequence[Path]) -> tuple[Definition, Platform] | None:
    """The Definition of claim kind ``name`` (``ObjectStore`` or ``GROUP/VERSION/ObjectStore``)."""
    if not directories:
        return None
    platform, problems = build_platform(load_platform(directories))
    if problems:
        raise ConfigError("the platform directories have errors", diagnostics=problems)
    wanted = name.strip().lower()
    for definition in platform.definitions.values():
        if wanted in (definition.kind.lower(), f"{definition.api_version}/{definition.kind}".lower()):
            return definition, platform
    return None


def explain_definition(definition: Definition, platform: Platform, as_json: bool) -> None:
    compositions = platform.compositions_for(definition.kind)
    if as_json:
        output.print_json(
            {
                "apiVersion": definition.api_version,
                "kind": definition.kind,
                "description": definition.document.spec.get("description", ""),
                "schema": definition.strict_schema,
                "outputs": dict(definition.outputs),
                "compositions": [{"name": c.name, "labels": dict(c.labels)} for c in compositions],
                "defaultComposition": definition.default_composition,
            }
        )
        return
    from rich.table import Table

    from kedge.cli.explain import _fields  # the same table as for provider kinds

    output.out.print(f"[bold]{definition.kind}[/]  ({definition.api_version}, a claim kind)")
    description = definition.document.spec.get("description")
    if description:
        output.out.print(str(description))
    output.out.print()
    table = Table("field", "type", "required", "default", "description", title="spec", title_justify="left")
    _fields(table, definition.schema, "")
    output.out.print(table)
    output.out.print("Unknown fields are refused, as for every kind.")
    if definition.outputs:
        outs = Table("output", "expression", title="outputs", title_justify="left")
        for name, text in definition.outputs.items():
            outs.add_row(name, output.escape(text))
        output.out.print(outs)
    table = Table("composition", "labels", "default", title="compositions", title_justify="left")
    for c in compositions:
        labels = ",".join(f"{k}={v}" for k, v in sorted(c.labels.items()))
        table.add_row(c.name, labels, "yes" if c.name == definition.default_composition else "")
    output.out.print(table)
    output.out.print(
        "Choose one with the annotation kedge.dev/composition: NAME or kedge.dev/composition-selector: "
        "label=value."
    )


def readiness(engine: Engine, run: AppRun, *, applied: bool = False) -> list[dict[str, Any]]:
    """Each claim of the run: ``{kind, name, ready, waiting}`` (plan JSON's ``claims``)."""
    from kedge.engine.readiness import run_readiness

    found = run_readiness(engine, run, applied=applied)
    out: list[dict[str, Any]] = []
    for claim in run.rendered.claims:
        ready = found.get((claim.kind, claim.name))
        state = ready.to_json() if ready is not None else {"ready": False, "waiting": []}
        out.append({"kind": claim.kind, "name": claim.name, **state})
    return out


def show_readiness(claims: list[dict[str, Any]]) -> None:
    """``Claim ObjectStore/invoices: ready``, or not ready with what holds it back. Past
    ``LISTED`` claims, the ready ones are counted instead of listed (a thousand lines of
    "ready" hide the one that is not)."""
    out = output.console("out")
    paint = output._painter(out)
    ready = [c for c in claims if c["ready"]]
    lines: list[str] = []
    if len(claims) <= LISTED:
        lines.extend(f"Claim {c['kind']}/{c['name']}: {paint('ready', 'green')}" for c in ready)
    elif ready:
        lines.append(f"Claims: {paint(f'{len(ready)} ready', 'green')}, {len(claims) - len(ready)} not ready")
    for claim in claims:
        if claim["ready"]:
            continue
        waiting = claim["waiting"]
        nothing = "" if waiting else " (it composed nothing)"
        lines.append(f"Claim {claim['kind']}/{claim['name']}: {paint('not ready', 'yellow')}{nothing}")
        for w in waiting:
            expression = f" readyWhen `{w['readyWhen']}`" if w["readyWhen"] else ""
            lines.append(f"    {w['resource']} ({w['id']}):{expression} {w['reason']}")
    out.file.write("\n".join(lines) + "\n")
    out.file.flush()
