"""``kedge token create|list|revoke``, against a server or directly on a state database.

With ``--server`` (or ``KEDGE_SERVER``) the commands call the API with an admin token. Without
one they open the state database (``--db``, default ``.kedge/state.db``): that is how the first
tokens are made before anyone can sign in, by whoever can read the database anyway. Either way
the clear token is printed once, alone on stdout (``TOKEN=$(kedge token create ...)`` captures
it), and the change is appended to the audit log.
"""


import getpass
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from kedge.cli import output
from kedge.cli.client.options import ServerOpt, TokenOpt, connect
from kedge.cli.oneshot import Format, OutOpt

if TYPE_CHECKING:
    from kedge.store import Store

DEFAULT_DB = str(Path(".kedge") / "state.db")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="KEDGE_DB",
        show_default=False,
        help="Work on this state database instead of a server [default: .kedge/state.db].",
    ),
]


def parse_duration(text: str) -> timedelta:
    from kedge.model import ConfigError

    match = re.fullmatch(r"([1-9][0-9]{0,3})([smhdw])", text.strip())
    if match is None:
        raise ConfigError(f"--expires-in {text!r}: use a duration such as 30d, 12h, 45m or 90s")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def patterns(values: list[str] | None) -> list[str] | None:
    """``--apps 'pay-*' --apps web`` or ``--apps 'pay-*,web'`` as one list (None: every app)."""
    out = [p.strip() for v in values or [] for p in v.split(",") if p.strip()]
    return out or None


@contextmanager
def local_store(db: str | None) -> "Iterator[Store]":
    from kedge.store import Store

    path = db or DEFAULT_DB
    if "://" not in path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    with Store.open(path) as store:
        yield store


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _view(record: Any) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "name": record.name,
        "role": record.role,
        "apps": list(record.apps) if record.apps else None,
        "createdAt": iso(record.created_at),
        "expiresAt": iso(record.expires_at),
        "revokedAt": iso(record.revoked_at),
        "lastUsedAt": iso(record.last_used_at),
    }


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    tokens = typer.Typer(name="token", help="Create, list and revoke API tokens.", no_args_is_help=True)
    app.add_typer(tokens, name="token")

    @tokens.command("create")
    @handle
    def create(
        name: Annotated[str, typer.Option("--name", help="Who or what the token is for (unique).")],
        role: Annotated[str, typer.Option("--role", help="viewer, operator or admin.")],
        expires_in: Annotated[
            str | None, typer.Option("--expires-in", help="e.g. 30d, 12h; default: never.")
        ] = None,
        apps: Annotated[
            list[str] | None, typer.Option("--apps", help="Limit to app name patterns, e.g. 'pay-*'.")
        ] = None,
        server: ServerOpt = None,
        token: TokenOpt = None,
        db: DbOpt = None,
        fmt: OutOpt = Format.text,
    ) -> None:
        """Create a token. It is printed once and cannot be shown again."""
        from kedge.model import ConfigError

        if role not in ("viewer", "operator", "admin"):
            raise ConfigError(f"--role must be viewer, operator or admin, not {role!r}")
        scope = patterns(apps)
        if server and not db:
            body: dict[str, Any] = {"name": name, "role": role, "apps": scope}
            if expires_in:
                parse_duration(expires_in)
                body["expiresIn"] = expires_in
            with connect(server, token) as api:
                created = api.post("/api/v1/tokens", body)
        else:
            expires = datetime.now(UTC) + parse_duration(expires_in) if expires_in else None
            with local_store(db) as store:
                clear = store.create_token(name, role, expires_at=expires, apps=scope)
                record = next(t for t in store.list_tokens() if t.name == name)
                created = {**_view(record), "token": clear}
                store.audit(
                    _actor(),
                    "token.create",
                    details={k: created[k] for k in ("name", "role", "apps", "expiresAt")},
                )
        if fmt is Format.json:
            output.print_json(created)
            return
        expiry = f", expires {created['expiresAt'][:19]}" if created.get("expiresAt") else ""
        limit = f", apps {', '.join(created['apps'])}" if created.get("apps") else ""
        output.err.print(
            f"Token [bold]{output.escape(name)}[/] ({role}{expiry}{output.escape(limit)}). "
            "Store it now: it is not shown again."
        )
        print(created["token"])

    @tokens.command("list")
    @handle
    def list_(
        server: ServerOpt = None, token: TokenOpt = None, db: DbOpt = None, fmt: OutOpt = Format.text
    ) -> None:
        """List the tokens in force (never the tokens themselves)."""
        if server and not db:
            with connect(server, token) as api:
                views = api.get("/api/v1/tokens")
        else:
            with local_store(db) as store:
                views = [_view(t) for t in store.list_tokens()]
        if fmt is Format.json:
            output.print_json(views)
            return
        if not views:
            output.out.print("No tokens.")
            return
        output.columns(
            ["NAME", "ROLE", "APPS", "CREATED", "EXPIRES", "LAST USED"],
            [
                [
                    output.escape(v["name"]),
                    v["role"],
                    output.escape(", ".join(v.get("apps") or []) or "all"),
                    _day(v.get("createdAt")),
                    _day(v.get("expiresAt")) or "never",
                    _day(v.get("lastUsedAt")),
                ]
                for v in views
            ],
        )

    @tokens.command("revoke")
    @handle
    def revoke(
        name: Annotated[str, typer.Argument(help="The token's name.")],
        server: ServerOpt = None,
        token: TokenOpt = None,
        db: DbOpt = None,
    ) -> None:
        """Revoke a token: it stops working at once, UI sessions included."""
        from kedge.model import KedgeError

        if server and not db:
            with connect(server, token) as api:
                api.delete(f"/api/v1/tokens/{quote(name, safe='')}")
        else:
            with local_store(db) as store:
                if not store.revoke_token(name):
                    raise KedgeError(f"no token named {name!r} in force")
                store.audit(_actor(), "token.revoke", details={"name": name})
        output.out.print(f"Token [bold]{output.escape(name)}[/] revoked.")


def show_audit(server: str, token: str | None, app: str | None, limit: int, fmt: Format) -> None:
    """``kedge audit list --server``: the newest entries from the server's API."""
    with connect(server, token) as api:
        entries: list[dict[str, Any]] = api.get("/api/v1/audit", app=app, limit=limit)
    fields = ("seq", "time", "actor", "action", "app", "resource", "revision", "result", "hash", "prevHash")
    if fmt is Format.json:
        output.print_json([{k: e.get(k) for k in fields} for e in entries])
        return
    if not entries:
        output.out.print("The audit log is empty.")
        return
    output.columns(
        ["seq", "time", "actor", "action", "app", "resource", "revision", "result", "hash"],
        [
            [
                output.escape(str(e.get("seq") or "")),
                str(e.get("time") or "")[:19].replace("T", " "),
                *(output.escape(str(e.get(k) or "")) for k in ("actor", "action", "app", "resource")),
                output.short(e.get("revision")),
                output.escape(str(e.get("result") or "")),
                output.short(e.get("hash")),
            ]
            for e in entries
        ],
    )


def _day(value: Any) -> str:
    return str(value or "")[:16].replace("T", " ")
