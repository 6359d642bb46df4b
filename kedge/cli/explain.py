"""``kedge explain KIND``: a kind's schema, outputs and behaviour, from the provider itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import typer
from rich.table import Table

from kedge.cli import claims, output
from kedge.cli.oneshot import Format, OutOpt, PlatformOpt
from kedge.model import ConfigError, KindSpec
from kedge.providers import registry


def find_kind(name: str) -> KindSpec:
    """``File``, ``local.kedge.dev/v1/File`` or ``File.local.kedge.dev`` (case-insensitive kind)."""
    kinds = registry.all_kinds()
    wanted = name.strip()
    matches = [
        k
        for k in kinds
        if wanted.lower()
        in (k.kind.lower(), f"{k.api_version}/{k.kind}".lower(), f"{k.kind}.{k.group}".lower())
    ]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        options = ", ".join(f"{k.api_version}/{k.kind}" for k in matches)
        raise ConfigError(f"kind {name!r} is served by several providers: name one of {options}")
    known = ", ".join(sorted({k.kind for k in kinds}))
    raise ConfigError(f"unknown kind {name!r}; known kinds: {known}")


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    @app.command()
    @handle
    def explain(
        kind: Annotated[str, typer.Argument(help="Kind name, e.g. File or postgres.kedge.dev/v1/Role.")],
        fmt: OutOpt = Format.text,
        platform: PlatformOpt = None,
    ) -> None:
        """Show a kind's fields, defaults, outputs (for fromResource) and JSON Schema."""
        try:
            spec = find_kind(kind)
        except ConfigError:
            found = claims.find_definition(kind, platform or [])
            if found is None:
                raise
            claims.explain_definition(*found, as_json=fmt is Format.json)
            return
        if fmt is Format.json:
            output.print_json(
                {
                    "apiVersion": spec.api_version,
                    "kind": spec.kind,
                    "description": spec.description,
                    "schema": spec.schema,
                    "outputs": dict(spec.outputs),
                    "sensitive": sorted(spec.sensitive),
                    "replaceOn": sorted(spec.replace_on),
                }
            )
            return
        output.out.print(f"[bold]{spec.kind}[/]  ({spec.api_version})")
        if spec.description:
            output.out.print(spec.description)
        output.out.print()
        table = Table(
            "field", "type", "required", "default", "description", title="spec", title_justify="left"
        )
        _fields(table, spec.schema, "")
        output.out.print(table)
        if spec.outputs:
            outs = Table("output", "description", title="outputs (fromResource)", title_justify="left")
            for name, text in spec.outputs.items():
                outs.add_row(name, text)
            output.out.print(outs)
        if spec.replace_on:
            output.out.print(f"Changing {', '.join(sorted(spec.replace_on))} replaces the object.")
        if spec.sensitive:
            output.out.print(f"Sensitive (always redacted): {', '.join(sorted(spec.sensitive))}.")


def _fields(table: Table, schema: Mapping[str, Any], prefix: str, depth: int = 0) -> None:
    required = set(schema.get("required", []))
    for name, prop in (schema.get("properties") or {}).items():
        kind = prop.get("type", "any")
        kind = "|".join(kind) if isinstance(kind, list) else str(kind)
        if kind == "array" and isinstance(prop.get("items"), Mapping):
            kind = f"array of {prop['items'].get('type', 'object')}"
        default = prop.get("default")
        table.add_row(
            prefix + name,
            kind,
            "yes" if name in required else "",
            "" if default is None else output.fmt(default),
            prop.get("description", ""),
        )
        if depth < 3:
            if prop.get("type") == "object":
                _fields(table, prop, prefix + name + ".", depth + 1)
            elif isinstance(prop.get("items"), Mapping) and prop["items"].get("type") == "object":
                _fields(table, prop["items"], prefix + name + "[].", depth + 1)
