"""``kedge explain <claim kind> --platform DIR``: a Definition's schema, outputs and Compositions.

An app team reads what it may write in a claim; the schema shown is the one claims are checked
against (unknown fields refused, defaults filled in).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from kedge.cli import output
from kedge.compositions import Definition, Platform, build_platform
from kedge.engine.platform import load_platform
from kedge.model import ConfigError


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
