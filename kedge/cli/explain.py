"""``kedge explain KIND``: a kind's schema, outputs and behaviour, from the provider itself."""

import difflib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kedge.cli import output
from kedge.cli.oneshot import Format, OutOpt, PlatformOpt

if TYPE_CHECKING:
    from rich.table import Table

    from kedge.model import KindSpec

CORE = "core"
CORE_DESCRIPTIONS = {
    "Application": "An app: a git source (repo, revision, path) and how to sync it.",
    "Policy": "Rules in CEL that deny or flag planned changes.",
    "ProviderConfig": "Settings of one provider (a root, a DSN, a region); secrets as references.",
    "ServerConfig": "The settings of `kedge serve`: store, tokens, webhooks, notifications.",
    "Definition": "A claim kind of the platform team: its group, the JSON Schema of a claim, outputs.",
    "Composition": "The resources a claim becomes: manifest templates with ${...} CEL expressions.",
}


def every_kind() -> "list[KindSpec]":
    """The core kinds (``kedge.dev/v1``) and every kind of every installed provider."""
    from kedge.manifests.core_schemas import CORE_API_VERSION, CORE_SCHEMAS, CORE_SENSITIVE
    from kedge.model import KindSpec
    from kedge.providers import registry

    core = [
        KindSpec(
            CORE_API_VERSION,
            kind,
            schema,
            description=str(schema.get("description") or CORE_DESCRIPTIONS.get(kind, "")),
            sensitive=CORE_SENSITIVE.get(kind, frozenset()),
        )
        for kind, schema in sorted(CORE_SCHEMAS.items())
    ]
    return core + sorted(registry.all_kinds(), key=lambda k: (k.provider, k.kind))


def provider_of(spec: "KindSpec") -> str:
    return CORE if spec.group == "kedge.dev" else spec.provider


def _summary(text: str) -> str:
    """The first sentence of a description, for the list of kinds."""
    first = " ".join(text.split())
    end = first.find(". ")
    return first if end < 0 else first[: end + 1]


def find_kind(name: str) -> "KindSpec":
    """``File``, ``local.kedge.dev/v1/File`` or ``File.local.kedge.dev`` (case-insensitive kind)."""
    from kedge.model import ConfigError

    kinds = every_kind()
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
    by_lower = {k.kind.lower(): k.kind for k in kinds}
    close = difflib.get_close_matches(wanted.rsplit("/", 1)[-1].lower(), list(by_lower), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(by_lower[c]) for c in close)}? " if close else ""
    raise ConfigError(f"unknown kind {name!r}; {hint}'kedge explain' lists every kind")


def _list_kinds(fmt: Format) -> None:
    kinds = every_kind()
    if fmt is Format.json:
        output.print_json(
            {
                "kinds": [
                    {
                        "provider": provider_of(k),
                        "apiVersion": k.api_version,
                        "kind": k.kind,
                        "description": k.description,
                    }
                    for k in kinds
                ]
            }
        )
        return
    groups: dict[str, list[KindSpec]] = {}
    for k in kinds:
        groups.setdefault(provider_of(k), []).append(k)
    for provider, members in groups.items():
        output.out.print(f"[bold]{provider}[/] ({members[0].api_version})")
        width = max(len(k.kind) for k in members)
        for k in members:
            summary = _summary(k.description)
            output.out.print(f"  {k.kind.ljust(width)}  {output.escape(summary)}".rstrip())
        output.out.print()
    output.out.print("`kedge explain KIND` shows a kind's fields, defaults and outputs.")


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    @app.command()
    @handle
    def explain(
        kind: Annotated[
            str | None,
            typer.Argument(
                help="Kind name, e.g. File or postgres.kedge.dev/v1/Role [default: list every kind].",
                show_default=False,
            ),
        ] = None,
        fmt: OutOpt = Format.text,
        platform: PlatformOpt = None,
    ) -> None:
        """Show a kind's fields, defaults, outputs (for fromResource) and JSON Schema; without a
        kind, list every kind by provider. A claim kind is looked up in --platform directories."""
        from rich.table import Table

        from kedge.model import ConfigError

        if kind is None:
            _list_kinds(fmt)
            return
        try:
            spec = find_kind(kind)
        except ConfigError:
            from kedge.cli import claims

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


def _fields(table: "Table", schema: Mapping[str, Any], prefix: str, depth: int = 0) -> None:
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
