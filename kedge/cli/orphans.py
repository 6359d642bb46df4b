"""``kedge orphans``: what exists in each target but no app owns, with its monthly cost.

    kedge orphans apps/shop            # the app's ProviderConfigs; its manifests count as owners
    kedge orphans --config kedge.yaml  # the server's ProviderConfigs

Only reads. Exits 0 whether or not orphans are found; 1 on bad input, or when a target could
not be listed: that is reported, on stderr and under ``errors`` in JSON, and never taken for
an empty target.
"""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kedge.cli import output
from kedge.cli.cost import CatalogOpt, money
from kedge.cli.oneshot import DbOpt, Format, OutOpt, PlatformOpt, default_db

if TYPE_CHECKING:  # imported inside the command: `kedge --help` never loads the engine
    from kedge.engine.orphans import OrphanReport
    from kedge.engine.render import BoundConfig
    from kedge.model import Identity

OptionalPath = Annotated[
    Path | None,
    typer.Argument(help="A manifest directory whose ProviderConfigs to look in.", show_default=False),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="A server configuration file whose ProviderConfigs to look in.", show_default=False
    ),
]


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    @app.command()
    @handle
    def orphans(
        path: OptionalPath = None,
        config: ConfigOpt = None,
        fmt: OutOpt = Format.text,
        catalog: CatalogOpt = None,
        db: DbOpt = None,
        platform: PlatformOpt = None,
    ) -> None:
        """List what exists in each target that no app owns, with its cost. Only reads."""
        from kedge.engine.cost import load_catalog
        from kedge.engine.orphans import find_orphans
        from kedge.model import ConfigError
        from kedge.store import Store

        if (path is None) == (config is None):
            raise ConfigError("give a manifest directory or --config FILE (one of the two)")
        prices = load_catalog(catalog)
        configs, declared, db_url = _targets(path, config, db, platform or [])
        store = Store.open(db_url)
        try:
            report = find_orphans(configs, declared, store, prices)
        finally:
            store.close()
        for problem in report.errors:
            where = f"{problem.provider_config} ({problem.provider})" + (
                f" {problem.kind}" if problem.kind else ""
            )
            output.err.print(
                f"[bold red]error:[/] cannot list {output.escape(where)}: {output.escape(problem.message)}"
            )
        if fmt is Format.json:
            output.print_json(report.to_json())
        else:
            _show(report)
        if report.errors:
            raise typer.Exit(1)  # what could not be listed is unknown, not empty


def _targets(
    path: Path | None, config: Path | None, db: str | None, platform: list[Path]
) -> "tuple[dict[str, BoundConfig], set[Identity], str]":
    from kedge.engine.platform import expander, load_platform
    from kedge.engine.render import bind_configs, render
    from kedge.model import ConfigError, Diagnostic
    from kedge.model.diagnostics import has_errors

    if path is not None:
        if not path.exists():
            raise ConfigError(f"{path}: no such file or directory")
        rendered = render(path, expand=expander(load_platform(platform)))
        if not rendered.ok:
            raise ConfigError(f"{path}: the manifests have errors", rendered.diagnostics)
        declared = {r.identity() for r in rendered.resources}
        return rendered.configs, declared, db or default_db(path)
    assert config is not None
    from kedge.cli.server import read_config

    settings = read_config(config)
    problems: list[Diagnostic] = []
    configs = bind_configs(settings.provider_configs, problems)
    if has_errors(problems):
        raise ConfigError(f"{config}: invalid ProviderConfig", problems)
    if not configs:
        raise ConfigError(f"{config}: no ProviderConfig to look in")
    return configs, set(), db or settings.db


def _show(report: "OrphanReport") -> None:
    for o in report.orphans:
        cost = "unpriced" if o.monthly is None else money(o.monthly, report.currency)
        output.out.print(
            f"{o.provider_config} ({o.provider})  {o.kind}/{output.escape(o.name)}  {cost}  "
            f"[dim]{output.escape(o.reason)}[/]"
        )
    total = sum(o.monthly or 0.0 for o in report.orphans)
    if report.orphans:
        output.out.print(
            f"[yellow]Orphans:[/] {len(report.orphans)}, {money(total, report.currency)} a month."
        )
    else:
        output.out.print(f"[green]No orphans[/] among {report.listed} object(s) listed.")
