"""``kedge audit list|verify|export|checkpoint|keygen``: read, check and sign the audit chain.

The commands work on the state database directly (``--db``, default ``.kedge/state.db`` in the
current directory, or ``KEDGE_DB``), so an auditor can check a copy of it without a server.
``verify`` exits 1 and names the first bad entry; how the chain works is in docs/audit.md.
"""


import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kedge.cli import output
from kedge.cli.client.options import ServerOpt, TokenOpt, connect
from kedge.cli.oneshot import Format, OutOpt

if TYPE_CHECKING:
    from kedge.store import Checkpoint, Store

DEFAULT_DB = str(Path(".kedge") / "state.db")

DbOpt = Annotated[
    str,
    typer.Option("--db", envvar="KEDGE_DB", help="State store URL or SQLite path."),
]


@contextmanager
def _store(db: str) -> "Iterator[Store]":
    """The existing store at ``db``: auditing a database that is not there is a mistake, so a
    missing SQLite file is an error rather than a new empty log."""
    from kedge.model import ConfigError
    from kedge.store import Store
    from kedge.store.database import parse_url

    url = parse_url(db)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        raise ConfigError(f"no state database at {url.database}: give --db or set KEDGE_DB")
    with Store.open(db) as store:
        yield store


def _published(path: Path) -> "list[Checkpoint]":
    """Checkpoints as ``kedge audit checkpoint --publish`` writes them: one JSON object a line."""
    from kedge.model import ConfigError
    from kedge.store import Checkpoint

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read checkpoints from {path}: {exc.strerror or exc}") from None
    found = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(
                Checkpoint(
                    int(data["seq"]),
                    str(data["head"]),
                    str(data["signature"]),
                    str(data.get("publicKey", "")),
                    datetime.fromisoformat(data["time"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                f"{path}:{number}: not a published checkpoint "
                "(want one JSON object a line: {seq, head, signature, publicKey, time})"
            ) from None
    return found


def _show_verification(report: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.json:
        output.print_json(report)
    elif report.get("ok"):
        matched = f", {report.get('checkpoints', 0)} checkpoint(s) matched"
        if "signaturesChecked" not in report:
            signed = ", checkpoints checked with the server's keys"
        elif report.get("signaturesChecked"):
            signed = matched
        else:
            signed = matched + " (signatures not checked: give --key)"
        output.out.print(f"[green]ok:[/] {report.get('entries')} entries, chain intact{signed}")
    else:
        output.err.print(
            f"[bold red]audit log verification failed:[/] {output.escape(str(report.get('reason') or ''))}"
        )


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    audit = typer.Typer(
        name="audit",
        help="Read, verify, export and sign the tamper-evident audit log.",
        no_args_is_help=True,
    )
    app.add_typer(audit, name="audit")

    @audit.command("list")
    @handle
    def list_(
        db: DbOpt = DEFAULT_DB,
        app_name: Annotated[str | None, typer.Option("--app", help="Only the entries of this app.")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="How many entries, newest first.")] = 50,
        fmt: OutOpt = Format.text,
        server: ServerOpt = None,
        token: TokenOpt = None,
    ) -> None:
        """Show the newest audit entries (from a server's API with --server)."""
        if server:
            from kedge.cli.client.tokens import show_audit

            show_audit(server, token, app_name, limit, fmt)
            return
        with _store(db) as store:
            entries = store.audit_entries(app=app_name, limit=limit)
        if fmt is Format.json:
            fields = (
                "seq",
                "time",
                "actor",
                "action",
                "app",
                "resource",
                "revision",
                "result",
                "hash",
                "prevHash",
            )
            output.print_json([{k: e.to_json()[k] for k in fields} for e in entries])
            return
        if not entries:
            output.out.print("The audit log is empty.")
            return
        output.columns(
            ["seq", "time", "actor", "action", "app", "resource", "revision", "result", "hash"],
            [
                [
                    str(e.seq),
                    e.time.strftime("%Y-%m-%d %H:%M:%S"),
                    output.escape(e.actor),
                    output.escape(e.action),
                    output.escape(e.app or ""),
                    output.escape(e.resource or ""),
                    output.short(e.revision),
                    output.escape(e.result),
                    output.short(e.hash),
                ]
                for e in entries
            ],
        )

    @audit.command()
    @handle
    def verify(
        db: Annotated[
            str | None,
            typer.Option(
                "--db",
                envvar="KEDGE_DB",
                help="State store URL or SQLite path [default: .kedge/state.db, "
                "or the server when --server is given]",
                show_default=False,
            ),
        ] = None,
        key: Annotated[
            list[Path] | None,
            typer.Option("--key", help="Public key file(s) that signed checkpoints; list retired keys too."),
        ] = None,
        checkpoint: Annotated[
            list[Path] | None,
            typer.Option("--checkpoint", help="Checkpoints published elsewhere (JSON lines)."),
        ] = None,
        fmt: OutOpt = Format.text,
        server: ServerOpt = None,
        token: TokenOpt = None,
    ) -> None:
        """Replay the chain and check every checkpoint; exit 1 naming the first bad entry.

        With --server (and no --db) the server replays its own log and checks its checkpoints
        with its own keys (admin token)."""
        from kedge.store import audit_keys as keys

        if server and not db:
            if key or checkpoint:
                output.err.print(
                    "note: the server checks checkpoints with its own keys; --key and --checkpoint "
                    "apply to a database given with --db"
                )
            with connect(server, token) as api:
                report: dict[str, Any] = api.get("/api/v1/audit/verify")
        else:
            public = [k for path in key or [] for k in keys.read_public_keys(path)]
            published = [c for path in checkpoint or [] for c in _published(path)]
            with _store(db or DEFAULT_DB) as store:
                report = store.verify_audit(public, published=published).to_json()
        _show_verification(report, fmt)
        raise typer.Exit(0 if report.get("ok") else 1)

    @audit.command()
    @handle
    def export(
        db: DbOpt = DEFAULT_DB,
        to: Annotated[
            Path | None, typer.Option("--output", help="File to write [default: standard output].")
        ] = None,
    ) -> None:
        """Write every entry as JSON lines, oldest first; each line can be checked on its own."""
        from kedge.model import ConfigError

        with _store(db) as store:
            if to is None:
                count = store.export_audit(sys.stdout)
                sys.stdout.flush()
            else:
                try:
                    with to.open("w", encoding="utf-8") as fp:
                        count = store.export_audit(fp)
                except OSError as exc:
                    raise ConfigError(f"cannot write {to}: {exc.strerror or exc}") from None
        output.err.print(f"exported {count} entr{'y' if count == 1 else 'ies'}" + (f" to {to}" if to else ""))

    @audit.command("checkpoint")
    @handle
    def checkpoint_(
        key: Annotated[Path, typer.Option("--key", help="Ed25519 private key file (PEM or base64 seed).")],
        db: DbOpt = DEFAULT_DB,
        publish: Annotated[
            Path | None,
            typer.Option("--publish", help="Also append the checkpoint to this file (JSON lines)."),
        ] = None,
    ) -> None:
        """Sign the head of the chain now and print it: {seq, head, signature, publicKey, time}."""
        from kedge.model import ConfigError
        from kedge.store import audit_keys as keys

        private = keys.read_private_key(key)
        with _store(db) as store:
            signed = store.checkpoint(private)
        if signed is None:
            output.err.print("The audit log is empty: nothing to sign.")
            return
        line = json.dumps(signed.to_json())
        if publish is not None:
            try:
                with publish.open("a", encoding="utf-8") as fp:
                    fp.write(line + "\n")
            except OSError as exc:
                raise ConfigError(f"cannot write {publish}: {exc.strerror or exc}") from None
        sys.stdout.write(line + "\n")

    @audit.command()
    @handle
    def keygen(
        to: Annotated[
            Path, typer.Option("--output", help="Where to write the private key (PEM, mode 0600).")
        ],
    ) -> None:
        """Create a checkpoint signing key; prints its public key (base64) for verifiers."""
        from kedge.store import audit_keys as keys

        private = keys.generate_private_key()
        keys.write_private_key(to, private)
        sys.stdout.write(keys.public_key_text(private) + "\n")
        output.err.print(
            f"wrote the private key to {to} (mode 0600); save the public key above in a file "
            "for `kedge audit verify --key`"
        )
