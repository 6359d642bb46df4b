"""``kedge render PATH``: every manifest the app would apply, claims expanded. Offline.

Reads the manifests (and ``--platform`` directories), expands claims into their composed
manifests and prints them: a YAML stream (default) or ``{"manifests": [...]}`` with ``-o json``.
No state store, no provider, no network. Secret references are printed as written, never
resolved values. On any error the diagnostics go to stderr, nothing to stdout, and it exits 1.
The engine loads when the command runs, not when the CLI starts.
"""

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kedge.cli.oneshot import PathArg, PlatformOpt

if TYPE_CHECKING:
    from kedge.model import Resource


class RenderFormat(enum.StrEnum):
    yaml = "yaml"
    json = "json"


def manifest(resource: "Resource") -> dict[str, Any]:
    """A resource as a manifest: spec as written (references unresolved), defaults filled in."""
    metadata: dict[str, Any] = {"name": resource.key.name}
    if resource.labels:
        metadata["labels"] = dict(resource.labels)
    if resource.annotations:
        metadata["annotations"] = dict(resource.annotations)
    return {
        "apiVersion": resource.key.api_version,
        "kind": resource.key.kind,
        "metadata": metadata,
        "spec": dict(resource.raw_spec),
    }


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    @app.command("render")
    @handle
    def render_command(
        path: PathArg,
        platform: PlatformOpt = None,
        fmt: Annotated[
            RenderFormat, typer.Option("-o", "--output", help="Output format.")
        ] = RenderFormat.yaml,
    ) -> None:
        """Print every manifest the app would apply, claims expanded into their composed manifests."""
        from kedge.cli import output
        from kedge.engine.platform import expander, load_platform
        from kedge.engine.render import render
        from kedge.model import ConfigError

        if not path.exists():
            raise ConfigError(f"{path}: no such file or directory")
        rendered = render(path, expand=expander(load_platform(platform or [])))
        output.diagnostics(rendered.diagnostics)
        if not rendered.ok:
            raise typer.Exit(1)
        manifests = [manifest(r) for r in rendered.resources]
        if fmt is RenderFormat.json:
            output.print_json({"manifests": manifests})
        else:
            import yaml

            typer.echo(yaml.safe_dump_all(manifests, sort_keys=False, default_flow_style=False), nl=False)
