"""One-shot commands on a manifest directory: validate, plan, apply, drift.

State lives in ``--db`` (default ``.kedge/state.db`` beside the manifests); the app name is
``--app`` (default: the directory's name).
"""

import enum
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kedge.cli import output

if TYPE_CHECKING:  # the engine is imported inside each command: `kedge --help` never loads it
    from kedge.engine import AppRun, Engine, Options
    from kedge.engine.apply import ChangeResult


class Format(enum.StrEnum):
    text = "text"
    json = "json"


PathArg = Annotated[
    Path,
    typer.Argument(help="A manifest directory (or one YAML file).", show_default=False, metavar="PATH"),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="State store URL or SQLite path [default: PATH/.kedge/state.db]", show_default=False
    ),
]
AppOpt = Annotated[str | None, typer.Option("--app", help="App name [default: the directory's name]")]
OutOpt = Annotated[Format, typer.Option("-o", "--output", help="Output format.")]
PruneOpt = Annotated[bool, typer.Option("--prune", help="Delete resources that left the source.")]
AllowEmptyOpt = Annotated[bool, typer.Option("--allow-empty", help="Allow a prune of everything.")]
ConfirmPruneOpt = Annotated[bool, typer.Option("--confirm-prune", help="Confirm a prune of more than half.")]
PlatformOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--platform",
        help="A directory of Definitions and Compositions (repeatable).",
        show_default=False,
        metavar="DIR",
    ),
]


def default_db(path: Path) -> str:
    base = path if path.is_dir() else path.parent
    return str(base / ".kedge" / "state.db")


def app_name(path: Path, app: str | None) -> str:
    if app:
        return app
    base = path.resolve() if path.is_dir() else path.resolve().parent
    return base.name or "default"


def _engine(path: Path, db: str | None, platform: list[Path] | None = None) -> "Engine":
    from kedge.engine import Engine
    from kedge.engine.platform import expander, load_platform
    from kedge.model import ConfigError
    from kedge.store import Store

    if not path.exists():
        raise ConfigError(f"{path}: no such file or directory")
    documents = load_platform(platform or [])  # before the store: a bad platform writes nothing
    return Engine(Store.open(db or default_db(path)), platform=expander(documents))


def _planned(
    path: Path, db: str | None, app: str | None, options: "Options", platform: list[Path] | None = None
) -> "tuple[Engine, AppRun]":
    engine = _engine(path, db, platform)
    return engine, engine.plan(app_name(path, app), path, options)


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    @app.command()
    @handle
    def validate(path: PathArg, fmt: OutOpt = Format.text, platform: PlatformOpt = None) -> None:
        """Check manifests: syntax, schemas, references, ProviderConfigs, claims. Touches nothing."""
        from kedge.engine.platform import expander, load_platform
        from kedge.engine.render import render
        from kedge.model import ConfigError

        if not path.exists():
            raise ConfigError(f"{path}: no such file or directory")
        rendered = render(path, expand=expander(load_platform(platform or [])))
        policies = [d for d in rendered.core if d.kind == "Policy"]
        if policies:  # the CEL compiler loads only for apps that have policies
            from kedge.planning.policy import compile_policies

            rendered.diagnostics.extend(compile_policies(policies)[1])
        from kedge.cost import check_usage

        rendered.diagnostics.extend(check_usage(rendered.resources))
        if fmt is Format.json:
            output.print_json(
                {"valid": rendered.ok, "diagnostics": [d.to_json() for d in rendered.diagnostics]}
            )
        else:
            output.diagnostics(rendered.diagnostics)
            if rendered.ok:
                output.out.print(f"[green]Valid:[/] {len(rendered.resources)} resource(s) in {path}")
        raise typer.Exit(0 if rendered.ok else 1)

    @app.command()
    @handle
    def plan(
        path: PathArg,
        fmt: OutOpt = Format.text,
        detailed_exitcode: Annotated[
            bool, typer.Option("--detailed-exitcode", help="Exit 2 when the plan has changes.")
        ] = False,
        prune: PruneOpt = False,
        allow_empty: AllowEmptyOpt = False,
        confirm_prune: ConfirmPruneOpt = False,
        db: DbOpt = None,
        app_opt: AppOpt = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "-out",
                "--out",
                help="Save the plan to FILE; 'kedge apply FILE' then applies exactly it.",
                metavar="FILE",
                show_default=False,
            ),
        ] = None,
        platform: PlatformOpt = None,
    ) -> None:
        """Show what apply would change. Observes, never changes anything."""
        from kedge.engine import Options

        engine, run = _planned(path, db, app_opt, Options(prune, allow_empty, confirm_prune), platform)
        try:
            _show_plan(run, fmt, engine)
            if out is not None and run.plan.ok:
                from kedge.cli import saved_plan

                saved_plan.write(out, run, path, db or default_db(path))
                where = output.escape(str(out))
                output.err.print(f"Saved the plan to {where}: 'kedge apply {where}' applies exactly it.")
        finally:
            engine.finish(run)
            engine.close()
        if not run.plan.ok:
            raise typer.Exit(1)
        raise typer.Exit(2 if detailed_exitcode and run.plan.has_changes else 0)

    @app.command()
    @handle
    def apply(
        path: PathArg,
        auto_approve: Annotated[
            bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")
        ] = False,
        prune: PruneOpt = False,
        allow_empty: AllowEmptyOpt = False,
        confirm_prune: ConfirmPruneOpt = False,
        db: DbOpt = None,
        app_opt: AppOpt = None,
        platform: PlatformOpt = None,
    ) -> None:
        """Plan, confirm, then make the real world match the manifests. Given a plan saved with
        'kedge plan -out FILE', apply exactly it (no question), or refuse if anything moved."""
        from kedge.cli import saved_plan
        from kedge.engine import Options
        from kedge.model import ConfigError

        saved = saved_plan.read(path) if saved_plan.is_saved_plan(path) else None
        if saved is not None:
            flags = {
                "--prune": prune,
                "--allow-empty": allow_empty,
                "--confirm-prune": confirm_prune,
                "--db": db,
                "--app": app_opt,
            }
            given = [flag for flag, value in flags.items() if value]
            if given:
                raise ConfigError(
                    f"{path} is a saved plan: it carries its app, store and options; drop {', '.join(given)} "
                    "(or plan again with them)"
                )
            options = Options(
                saved.options.get("prune", False),
                saved.options.get("allowEmpty", False),
                saved.options.get("confirmPrune", False),
            )
            engine, run = _planned(saved.path, saved.db, saved.app, options, platform)
        else:
            engine, run = _planned(path, db, app_opt, Options(prune, allow_empty, confirm_prune), platform)
        try:
            if saved is not None and run.plan.ok:
                saved_plan.check(saved, run)
            _show_plan(run, Format.text, engine)
            if not run.plan.ok:
                raise typer.Exit(1)
            if not run.plan.has_changes:
                # Nothing to do, but a run a killed apply left open is over: say so.
                engine.store.mark_interrupted_runs([run.app])
                raise typer.Exit(0)
            if not auto_approve and saved is None and not _record_only(run):
                _confirm()
            with _provider_progress():
                failed = _apply_with_progress(engine, run)
        finally:
            engine.finish(run)
            engine.close()
        raise typer.Exit(1 if failed else 0)

    @app.command()
    @handle
    def drift(
        path: PathArg,
        fmt: OutOpt = Format.text,
        db: DbOpt = None,
        app_opt: AppOpt = None,
        platform: PlatformOpt = None,
    ) -> None:
        """Report resources whose real state differs from the manifests. Exit 2 when drift is present."""
        from kedge.engine import Engine, Options

        engine, run = _planned(path, db, app_opt, Options(check_policies=False, observe_only=True), platform)
        try:
            if not run.plan.ok:
                output.diagnostics(run.plan.diagnostics)
                raise typer.Exit(1)
            report = Engine.drift_report(run)
        finally:
            engine.finish(run)
            engine.close()
        if fmt is Format.json:
            output.print_json(report)
        else:
            _show_drift(report)
        raise typer.Exit(2 if report["drifted"] or report["missing"] else 0)


def _record_only(run: "AppRun") -> bool:
    """Only what Kedge remembers changes (annotations, adoption of a matching object): nothing
    in the world does, so there is nothing to confirm."""
    from kedge.planning import Action

    return all(c.action in (Action.RECORD, Action.NOOP) for c in run.plan.changes)


def _show_plan(run: "AppRun", fmt: Format, engine: "Engine") -> None:
    claims = _claims(engine, run)
    if fmt is Format.json:
        output.print_json({**run.plan.to_json(), **({"claims": claims} if claims else {})})
        return
    output.diagnostics(run.plan.diagnostics)
    if run.plan.ok:
        output.plan(run.plan)
        from kedge.cli.cost import show_plan_cost  # cost imports this module's options

        show_plan_cost(run.plan.cost)
        if claims:
            from kedge.cli.claims import show_readiness

            show_readiness(claims)


def _claims(engine: "Engine", run: "AppRun", applied: bool = False) -> list[dict[str, Any]]:
    """Each claim's readiness (plan JSON ``claims``); none for an app without claims."""
    if not run.rendered.claims:
        return []
    from kedge.cli.claims import readiness

    return readiness(engine, run, applied=applied)


def _confirm() -> None:
    """Ask on stderr, read one line of stdin (a terminal or a pipe, as Terraform does)."""
    output.confirm("Do you want to apply these changes?", "Apply cancelled: nothing was changed.")


VERB = {
    "create": "creating",
    "update": "updating",
    "replace": "replacing",
    "delete": "deleting",
    "migrate": "migrating",
}


def resource_line(result: "ChangeResult") -> str:
    """One line per change as Terraform prints them: ``File/motd: creating… done (0.1s)``."""
    from kedge.engine.apply import FAILED, SKIPPED

    change = result.change
    verb = VERB.get(change.action.value, "recording")
    took = f" ({result.seconds:.1f}s)" if result.seconds is not None else ""
    key = output.escape(str(change.key))
    if result.result == SKIPPED:
        why = (result.error or "a dependency failed").removeprefix("skipped: ")
        return f"{key}: [yellow]skipped[/] ({output.escape(why)})"
    if result.result == FAILED:
        return f"{key}: {verb}… [red]failed[/]{took}: {output.escape(result.error or '')}"
    return f"{key}: {verb}… [green]done[/]{took}"


def _apply_with_progress(engine: "Engine", run: "AppRun") -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kedge.engine.apply import FAILED, SKIPPED

    total = sum(1 for c in run.plan.changes if c.is_change)
    with Progress(
        TextColumn("[bold]Applying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=output.out,
        transient=True,
        disable=total < 2 or not output.out.is_terminal,
    ) as bar:
        task = bar.add_task("apply", total=total)

        def progress(result: "ChangeResult") -> None:
            if result.change.is_change:
                bar.advance(task)
                bar.console.print(resource_line(result), soft_wrap=True)
            elif result.result in (FAILED, SKIPPED):
                bar.console.print(resource_line(result), soft_wrap=True)

        outcome = engine.apply(run, progress)
    ok = sum(1 for r in outcome.results if r.result == "succeeded")
    failed = sum(1 for r in outcome.results if r.result == FAILED)
    skipped = sum(1 for r in outcome.results if r.result == SKIPPED)
    colour = "green" if not failed and not skipped else "red"
    output.out.print(f"[{colour}]Apply complete:[/] {ok} succeeded, {failed} failed, {skipped} skipped.")
    if not failed and not skipped and run.rendered.claims:
        from kedge.cli.claims import show_readiness

        show_readiness(_claims(engine, run, applied=True))
    for f in outcome.results:
        if f.result in (FAILED, SKIPPED):
            output.err.print(
                f"[red]{f.result}:[/] {output.escape(str(f.change.key))}: {output.escape(f.error or '')}"
            )
    return failed + skipped


@contextmanager
def _provider_progress() -> Iterator[None]:
    """What providers say while a long change runs (a stack's events, an instance replaced),
    logged under ``kedge.progress``, goes to stderr during an apply."""
    handler = logging.StreamHandler(output.err.file)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    logger = logging.getLogger("kedge.progress")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _show_drift(report: dict[str, Any]) -> None:
    for item in report["missing"]:
        output.out.print(f"  [red]missing[/] {item['kind']}/{output.escape(item['name'])}")
    for item in report["drifted"]:
        output.out.print(f"  [yellow]drifted[/] {item['kind']}/{output.escape(item['name'])}")
        for f in item["fields"]:
            output.out.print(
                f"      {output.escape(f['path'])}: desired {output.escape(output.fmt(f['desired']))}, "
                f"actual {output.escape(output.fmt(f['actual']))}"
            )
        if "revert" in item:
            output.out.print(f"      [dim]reverting it is {output.escape(item['revert'])}[/]")
    n = len(report["drifted"]) + len(report["missing"])
    if n:
        output.out.print(
            f"[yellow]Drift:[/] {len(report['drifted'])} drifted, {len(report['missing'])} missing, "
            f"{report['inSync']} in sync."
        )
    else:
        output.out.print(f"[green]No drift:[/] {report['inSync']} resource(s) in sync.")
