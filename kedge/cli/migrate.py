"""``kedge migrate PATH --claim KIND/NAME --to COMPOSITION``: move a claim to another Composition.

It sets the claim's ``kedge.dev/composition`` annotation in its manifest file (the rest of the
file kept byte for byte), plans, asks, and applies: the new resources are created, every object
of the old stores is copied and verified, the claim's readers switch, and only then are the old
resources deleted (which needs ``--confirm-prune``). When the plan is refused or cancelled the
file is put back as it was; when the copy fails it keeps the new annotation, and running the
same command again resumes. docs/migration.md is the user's guide.
"""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kedge.cli import output
from kedge.cli.oneshot import (
    AppOpt,
    ConfirmPruneOpt,
    DbOpt,
    Format,
    OutOpt,
    PathArg,
    PlatformOpt,
    app_name,
)

if TYPE_CHECKING:
    from kedge.engine import AppRun, Engine
    from kedge.engine.apply import ApplyOutcome
    from kedge.engine.migrate_claim import Request


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    @app.command()
    @handle
    def migrate(
        path: PathArg,
        claim: Annotated[
            str, typer.Option("--claim", help="The claim to move, as KIND/NAME.", metavar="KIND/NAME")
        ],
        to: Annotated[
            str, typer.Option("--to", help="The Composition to move it to.", metavar="COMPOSITION")
        ],
        auto_approve: Annotated[
            bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")
        ] = False,
        confirm_prune: ConfirmPruneOpt = False,
        fmt: OutOpt = Format.text,
        db: DbOpt = None,
        app_opt: AppOpt = None,
        platform: PlatformOpt = None,
    ) -> None:
        """Move a claim to another Composition (another cloud): create the new storage, copy
        and verify every object, switch the claim, then delete the old storage (--confirm-prune).
        Rewrites the claim's kedge.dev/composition annotation in its manifest file."""
        from kedge.cli.oneshot import _engine
        from kedge.engine import Options
        from kedge.engine.migrate_claim import check_request, rewrite_annotation
        from kedge.engine.migrate_plan import platform_of
        from kedge.model import ConfigError

        if fmt is Format.json and not auto_approve:
            raise ConfigError("-o json prints the result of the migration: add --auto-approve")
        engine = _engine(path, db, platform)
        name = app_name(path, app_opt)
        run: AppRun | None = None
        try:
            current = engine.render(name, path, Options())
            if not current.rendered.ok:
                raise ConfigError("the app has errors; fix them first", current.rendered.diagnostics)
            request = check_request(
                current.rendered.claims,
                platform_of(engine.platform.for_app(True), current),
                {r.identity() for r in current.rendered.resources},
                engine.store.inventory(name),
                claim,
                to,
            )
            file = current.rendered.root / str(request.claim.file)
            original = file.read_bytes()
            if not request.resume:
                file.write_bytes(
                    rewrite_annotation(original.decode("utf-8"), request.claim, to).encode("utf-8")
                )
            try:
                run = engine.plan(name, path, Options(confirm_prune=confirm_prune))
                if not run.plan.ok:
                    _refused(run, fmt)
                if fmt is Format.text:
                    _announce(request, file)
                    output.plan(run.plan)
                    if not auto_approve:
                        output.confirm("Do you want to migrate?", "Migration cancelled: nothing was changed.")
            except BaseException:
                file.write_bytes(original)  # nothing was applied: the manifest is as it was
                raise
            outcome = _apply(engine, run, fmt)
        finally:
            if run is not None:
                engine.finish(run)
            engine.close()
        _report(request, file, run, outcome, fmt)


def _refused(run: "AppRun", fmt: Format) -> None:
    if fmt is Format.json:
        output.print_json({"ok": False, "plan": run.plan.to_json()})
    else:
        output.diagnostics(run.plan.diagnostics)
        output.err.print("Nothing was changed; the manifest is left as it was.")
    raise typer.Exit(1)


def _announce(request: "Request", file: Path) -> None:
    source = request.current or "none"
    verb = "resuming the move of" if request.resume else "moving"
    output.out.print(
        f"{verb} {output.escape(str(request.claim.ref))} from Composition {output.escape(source)} to "
        f"{output.escape(request.target.name)} ({output.escape(str(file))})"
    )


def _apply(engine: "Engine", run: "AppRun", fmt: Format) -> "ApplyOutcome":
    from kedge.cli.oneshot import _provider_progress, resource_line

    if fmt is Format.json:
        return engine.apply(run)

    def progress(result: Any) -> None:
        if result.change.is_change or result.result != "succeeded":
            output.out.print(resource_line(result), soft_wrap=True)

    with _provider_progress():  # the copy's progress lines go to stderr
        return engine.apply(run, progress)


def _report(
    request: "Request", file: Path, run: "AppRun | None", outcome: "ApplyOutcome", fmt: Format
) -> None:
    from kedge.planning import Action

    moved = next(
        (
            r
            for r in outcome.results
            if r.change.action is Action.MIGRATE and r.change.claim == request.claim.ref
        ),
        None,
    )
    details = dict(moved.details or {}) if moved is not None else {}
    if fmt is Format.json:
        output.print_json(
            {
                "ok": outcome.ok,
                "claim": request.claim.ref.to_json(),
                "from": request.current,
                "to": request.target.name,
                "file": str(file),
                "plan": run.plan.to_json() if run is not None else None,
                "migration": details or None,
                "results": [
                    {
                        "action": r.change.action.value,
                        "kind": r.change.key.kind,
                        "name": r.change.key.name,
                        "result": r.result,
                        **({"error": r.error} if r.error else {}),
                    }
                    for r in outcome.results
                ],
            }
        )
        raise typer.Exit(0 if outcome.ok else 1)
    ref, where = output.escape(str(request.claim.ref)), output.escape(str(file))
    if outcome.ok and moved is None:
        output.out.print(
            f"[green]Moved[/] {ref} to {output.escape(request.target.name)}: it had no storage from before, "
            "so nothing was copied."
        )
        output.out.print(
            f"{where} now names kedge.dev/composition: {output.escape(request.target.name)}; commit it."
        )
        raise typer.Exit(0)
    if outcome.ok:
        copied = (
            f"{details.get('objects', 0)} object(s) verified in the new store by "
            f"{', '.join(details.get('verification', [])) or 'size and checksum'} "
            f"({details.get('copied', 0)} copied now, {details.get('bytes', 0)} bytes), "
            if details
            else ""
        )
        output.out.print(
            f"[green]Migrated[/] {ref} to {output.escape(request.target.name)}: "
            f"{copied}old resources deleted."
        )
        output.out.print(
            f"{where} now names kedge.dev/composition: {output.escape(request.target.name)}; commit it."
        )
        raise typer.Exit(0)
    why = (
        moved.error
        if moved is not None and moved.error
        else "; ".join(f"{r.change.key}: {r.error}" for r in outcome.failed)
    )
    output.err.print(
        f"[bold red]error:[/] the migration of {ref} did not finish: {output.escape(why or 'see above')}"
    )
    output.err.print(
        f"{where} names the new Composition; run the same command again "
        "(or kedge apply --confirm-prune) to resume."
    )
    raise typer.Exit(1)
