"""``kedge app create|list|get|sync|diff|history|rollback|suspend|resume|delete``.

Each command is one or two calls to the server's REST API; reads print a Rich table, or the
API's JSON with ``-o json``. ``sync --wait`` and ``rollback --wait`` follow the operation until
it ends, with a progress bar, and exit 1 when it failed.
"""


import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from kedge.cli import output
from kedge.cli.client.options import ServerOpt, TokenOpt, connect
from kedge.cli.oneshot import Format, OutOpt

if TYPE_CHECKING:
    from kedge.cli.client.http import ApiClient

STYLE = {
    "Synced": "green",
    "Healthy": "green",
    "succeeded": "green",
    "OutOfSync": "yellow",
    "Progressing": "cyan",
    "running": "cyan",
    "queued": "cyan",
    "Degraded": "red",
    "Missing": "red",
    "failed": "red",
}
DONE = ("succeeded", "failed")
MAX_SPEC_FILE = 1 << 20

NameArg = Annotated[str, typer.Argument(help="The app's name.", show_default=False)]
WaitOpt = Annotated[
    bool, typer.Option("--wait", help="Show progress until the operation ends; exit 1 if it fails.")
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait with --wait.")]


def paint(value: Any) -> str:
    text = output.escape("" if value is None else str(value))
    style = STYLE.get(text)
    return f"[{style}]{text}[/]" if style else text


def app_path(name: str, *rest: str) -> str:
    return "/".join(["/api/v1/apps", quote(name, safe=""), *rest])


def spec_from(
    file: Path | None,
    repo: str | None,
    path: str | None,
    revision: str | None,
    auto_sync: bool,
    self_heal: bool,
    prune: bool,
) -> dict[str, Any]:
    """The Application spec: from ``-f FILE`` (a ``kind: Application`` document or a bare spec),
    else from the flags."""
    import yaml

    from kedge.model import ConfigError

    if file is not None:
        try:
            if file.stat().st_size > MAX_SPEC_FILE:
                raise ConfigError(f"{file}: larger than {MAX_SPEC_FILE} bytes")
            document = yaml.safe_load(file.read_text(encoding="utf-8"))
        except OSError as err:
            raise ConfigError(f"{file}: {err.strerror or err}") from None
        except yaml.YAMLError as err:
            raise ConfigError(f"{file}: not valid YAML: {err}") from None
        if isinstance(document, dict) and document.get("kind") == "Application":
            document = document.get("spec")
        if not isinstance(document, dict):
            raise ConfigError(f"{file}: expected a kind: Application document or a mapping with 'source'")
        return document
    if not repo:
        raise ConfigError("give --repo URL (and --path, --revision), or -f FILE with the Application")
    source = {"repoURL": repo, "path": path or ".", "targetRevision": revision or "main"}
    return {"source": source, "syncPolicy": {"automated": auto_sync, "selfHeal": self_heal, "prune": prune}}


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    apps = typer.Typer(name="app", help="Manage the apps of a Kedge server.", no_args_is_help=True)
    app.add_typer(apps, name="app")

    @apps.command("create")
    @handle
    def create(
        name: NameArg,
        file: Annotated[
            Path | None, typer.Option("-f", "--file", help="YAML: a kind: Application document.")
        ] = None,
        repo: Annotated[str | None, typer.Option("--repo", help="Git repository URL.")] = None,
        path: Annotated[
            str | None, typer.Option("--path", help="Directory of the manifests in the repo.")
        ] = None,
        revision: Annotated[
            str | None, typer.Option("--revision", help="Branch, tag or commit [main].")
        ] = None,
        auto_sync: Annotated[
            bool, typer.Option("--auto-sync/--manual", help="Sync when git changes.")
        ] = True,
        self_heal: Annotated[bool, typer.Option("--self-heal/--no-self-heal", help="Revert drift.")] = True,
        prune: Annotated[bool, typer.Option("--prune/--no-prune", help="Delete what left git.")] = False,
        server: ServerOpt = None,
        token: TokenOpt = None,
        fmt: OutOpt = Format.text,
    ) -> None:
        """Create (or replace) an app."""
        spec = spec_from(file, repo, path, revision, auto_sync, self_heal, prune)
        with connect(server, token) as api:
            view = api.post("/api/v1/apps", {"name": name, "spec": spec})
        if fmt is Format.json:
            output.print_json(view)
        else:
            output.out.print(f"App [bold]{output.escape(name)}[/] saved.")

    @apps.command("list")
    @handle
    def list_(
        sync: Annotated[
            str | None, typer.Option("--sync", help="Only Synced, OutOfSync or Unknown apps.")
        ] = None,
        health: Annotated[str | None, typer.Option("--health", help="Only apps with this health.")] = None,
        server: ServerOpt = None,
        token: TokenOpt = None,
        fmt: OutOpt = Format.text,
    ) -> None:
        """List apps with their sync status and health."""
        with connect(server, token) as api:
            views = api.get("/api/v1/apps", sync=sync, health=health)
        if fmt is Format.json:
            output.print_json(views)
            return
        if not views:
            output.out.print("No apps.")
            return
        rows = []
        for v in views:
            st, src = v.get("status") or {}, (v.get("spec") or {}).get("source") or {}
            name = output.escape(v["name"]) + (" [dim](suspended)[/]" if st.get("suspended") else "")
            if st.get("pinnedRevision"):
                name += f" [magenta](pinned to {output.short(st['pinnedRevision'])})[/]"
            rows.append(
                [
                    name,
                    paint(st.get("sync")),
                    paint(st.get("health")),
                    output.short(st.get("lastAppliedRevision")) or "-",
                    output.escape(f"{src.get('repoURL', '')} {src.get('path', '')}".strip()),
                ]
            )
        output.columns(["NAME", "SYNC", "HEALTH", "REVISION", "SOURCE"], rows)

    @apps.command("get")
    @handle
    def get(
        name: NameArg, server: ServerOpt = None, token: TokenOpt = None, fmt: OutOpt = Format.text
    ) -> None:
        """Show one app: status, conditions and source."""
        with connect(server, token) as api:
            view = api.get(app_path(name))
        if fmt is Format.json:
            output.print_json(view)
            return
        st, spec = view.get("status") or {}, view.get("spec") or {}
        src = spec.get("source") or {}
        rows = [
            ("Name", output.escape(view["name"])),
            ("Sync", paint(st.get("sync"))),
            ("Health", paint(st.get("health"))),
            ("Suspended", "yes" if st.get("suspended") else "no"),
            *(
                [
                    (
                        "Pinned",
                        f"[magenta]Pinned to {output.escape(str(st['pinnedRevision']))}[/] [dim]by a "
                        "rollback: new commits wait; unpin with: "
                        f"kedge app resume {output.escape(view['name'])}[/]",
                    )
                ]
                if st.get("pinnedRevision")
                else []
            ),
            ("Applied", output.short(st.get("lastAppliedRevision")) or "-"),
            ("Attempted", output.short(st.get("lastAttemptedRevision")) or "-"),
            (
                "Source",
                output.escape(
                    f"{src.get('repoURL', '')} {src.get('path', '')} @ {src.get('targetRevision', '')}"
                ),
            ),
        ]
        width = max(len(key) for key, _ in rows)
        for key, value in rows:
            output.out.print(f"[dim]{key.ljust(width)}[/]   {value}", crop=False)
        for c in st.get("conditions") or []:
            output.out.print(
                f"  {output.escape(str(c.get('type')))}={output.escape(str(c.get('status')))} [dim]"
                f"{output.escape(str(c.get('reason') or ''))} {output.escape(str(c.get('message') or ''))}[/]"
            )

    @apps.command("sync")
    @handle
    def sync(
        name: NameArg,
        revision: Annotated[
            str | None, typer.Option("--revision", help="Sync this revision instead.")
        ] = None,
        prune: Annotated[
            bool | None, typer.Option("--prune/--no-prune", help="Override the app's prune.")
        ] = None,
        confirm_prune: Annotated[
            bool, typer.Option("--confirm-prune", help="Allow pruning over half.")
        ] = False,
        wait: WaitOpt = False,
        timeout: TimeoutOpt = 600.0,
        server: ServerOpt = None,
        token: TokenOpt = None,
        fmt: OutOpt = Format.text,
    ) -> None:
        """Sync an app now."""
        body: dict[str, Any] = {"confirmPrune": confirm_prune}
        if revision:
            body["revision"] = revision
        if prune is not None:
            body["prune"] = prune
        with connect(server, token) as api:
            op = api.post(app_path(name, "sync"), body)
            _follow(api, op, wait, timeout, fmt)

    @apps.command("rollback")
    @handle
    def rollback(
        name: NameArg,
        history_id: Annotated[
            int, typer.Argument(help="The history entry to go back to (kedge app history).")
        ],
        wait: WaitOpt = False,
        timeout: TimeoutOpt = 600.0,
        server: ServerOpt = None,
        token: TokenOpt = None,
        fmt: OutOpt = Format.text,
    ) -> None:
        """Apply the revision of an earlier history entry again (and pin the app to it)."""
        with connect(server, token) as api:
            op = api.post(app_path(name, "rollback"), {"id": history_id})
            _follow(api, op, wait, timeout, fmt)

    @apps.command("diff")
    @handle
    def diff(
        name: NameArg,
        detailed_exitcode: Annotated[
            bool, typer.Option("--detailed-exitcode", help="Exit 2 on changes.")
        ] = False,
        server: ServerOpt = None,
        token: TokenOpt = None,
        fmt: OutOpt = Format.text,
    ) -> None:
        """Show the live plan: what a sync would change now."""
        with connect(server, token) as api:
            plan = api.get(app_path(name, "diff"))
        changes = [c for c in plan.get("changes") or [] if c.get("action") != "noop" or c.get("diff")]
        errors = [d for d in plan.get("diagnostics") or [] if d.get("severity") == "error"]
        if fmt is Format.json:
            output.print_json(plan)
        elif errors:  # never "No changes" when nothing could be compared
            for d in errors:
                where = f"{d['file']}:{d['line']}: " if d.get("file") and d.get("line") else ""
                output.err.print(f"[bold red]error:[/] {output.escape(where + str(d.get('message')))}")
        else:
            _print_plan(changes, plan.get("summary") or {})
        if errors:
            raise typer.Exit(1)
        raise typer.Exit(2 if detailed_exitcode and changes else 0)

    @apps.command("history")
    @handle
    def history(
        name: NameArg,
        trigger: Annotated[
            str | None,
            typer.Option(
                "--trigger", help="Only entries of this trigger (commit, drift, manual, rollback, webhook)."
            ),
        ] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="Entries per page.")] = 50,
        page: Annotated[int, typer.Option("--page", min=1, help="Page number, 1 is the newest.")] = 1,
        server: ServerOpt = None,
        token: TokenOpt = None,
        fmt: OutOpt = Format.text,
    ) -> None:
        """List an app's syncs, failed attempts and rollbacks, newest first."""
        with connect(server, token) as api:
            entries = api.get(
                app_path(name, "history"), trigger=trigger, limit=limit, offset=(page - 1) * limit
            )
        if fmt is Format.json:
            output.print_json(entries)
            return
        if not entries:
            output.out.print("Never synced.")
            return
        output.columns(
            ["ID", "REVISION", "TRIGGER", "ACTOR", "RESULT", "STARTED", "FINISHED", "MESSAGE"],
            [
                [
                    str(h.get("id")),
                    output.short(h.get("revision")) or "-",
                    output.escape(str(h.get("trigger") or "")),
                    output.escape(str(h.get("actor") or "")),
                    paint(h.get("result")),
                    _time(h.get("startedAt")),
                    _time(h.get("finishedAt")),
                    output.escape(str(h.get("message") or "")[:120]),
                ]
                for h in entries
            ],
        )

    for verb, past in (("suspend", "suspended: no syncs until resumed"), ("resume", "resumed")):
        _state_command(apps, handle, verb, past)

    @apps.command("delete")
    @handle
    def delete(
        name: NameArg,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
        server: ServerOpt = None,
        token: TokenOpt = None,
    ) -> None:
        """Delete an app (its resources are pruned or orphaned by their deletion policy)."""
        if not yes:
            output.confirm(
                f"Delete app {name} and prune its resources?",
                f"App {name} was not deleted.",
                "--yes",
            )
        with connect(server, token) as api:
            api.delete(app_path(name))
        output.out.print(f"App [bold]{output.escape(name)}[/] deleted.")


def _state_command(apps: typer.Typer, handle: Any, verb: str, past: str) -> None:
    def command(
        name: NameArg, server: ServerOpt = None, token: TokenOpt = None, fmt: OutOpt = Format.text
    ) -> None:
        with connect(server, token) as api:
            view = api.post(app_path(name, verb))
        if fmt is Format.json:
            output.print_json(view)
        else:
            output.out.print(f"App [bold]{output.escape(name)}[/] {past}.")

    command.__doc__ = (
        "Stop syncing an app (drift is still reported)." if verb == "suspend" else "Sync an app again."
    )
    apps.command(verb)(handle(command))


def _follow(api: "ApiClient", op: dict[str, Any], wait: bool, timeout: float, fmt: Format) -> None:
    from kedge.model import KedgeError

    what = "Rollback" if op.get("type") == "rollback" else "Sync"
    if not wait:
        if fmt is Format.json:
            output.print_json(op)
        else:
            output.out.print(
                f"{what} queued: {output.escape(str(op.get('id')))} "
                f"(revision {output.escape(output.short(op.get('revision')) or 'from git')})"
            )
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    path = f"/api/v1/operations/{quote(str(op['id']), safe='')}"
    deadline = time.monotonic() + timeout
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=output.err, transient=True) as progress:
        task = progress.add_task(f"{what} {op.get('state')}", total=None)
        while op.get("state") not in DONE:
            if time.monotonic() > deadline:
                raise KedgeError(
                    f"{what.lower()} {op.get('id')} still {op.get('state')} after {timeout:.0f} s; "
                    "follow it with 'kedge app get'"
                )
            time.sleep(0.25)
            op = api.get(path)
            step = op.get("progress") or {}
            progress.update(
                task,
                description=f"{what} {op.get('state')}",
                completed=step.get("done"),
                total=step.get("total"),
            )
    if fmt is Format.json:
        output.print_json(op)
    elif op.get("state") == "succeeded":
        output.out.print(
            f"[green]{what} succeeded:[/] revision {output.escape(output.short(op.get('revision')))}"
        )
    if op.get("state") != "succeeded":
        message = op.get("message") or "see 'kedge app get' and the app's events"
        raise KedgeError(f"{what.lower()} {op.get('id')} failed: {message}")


def _print_plan(changes: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    if not changes:
        output.out.print("[green]No changes.[/] The real world matches git.")
        return
    symbols = {
        "create": ("+", "green"),
        "update": ("~", "yellow"),
        "replace": ("-/+", "magenta"),
        "delete": ("-", "red"),
    }
    for c in changes:
        symbol, colour = symbols.get(str(c.get("action")), (" ", "dim"))
        reason = f": {c['reason']}" if c.get("reason") else ""
        output.out.print(
            f"  [{colour}]{symbol}[/] [bold]{output.escape(str(c.get('kind')))}/"
            f"{output.escape(str(c.get('name')))}[/] [dim]({output.escape(str(c.get('action')) + reason)})[/]"
        )
        for d in c.get("diff") or []:
            for line in output.field_lines(str(d.get("path")), d.get("before"), d.get("after"), _plain):
                output.out.print(output.escape(line))
    counts = ", ".join(f"{summary.get(k, 0)} to {k}" for k in ("create", "update", "replace", "delete"))
    output.out.print(f"[bold]Plan:[/] {counts}.")


def _plain(text: str, style: str) -> str:
    return text


def _time(value: Any) -> str:
    return str(value or "")[:19].replace("T", " ")
