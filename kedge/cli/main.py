"""Entry point of the ``kedge`` command.

Every command exits 0 on success, 1 on error, and (where documented) 2 when changes or drift
are present. Errors print as one clear message on stderr, never a traceback (set
``KEDGE_DEBUG=1`` to see one).

Start-up is part of the interface: ``kedge --help`` must answer as fast as ``terraform`` does.
This module and every command module therefore import only Typer and the standard library at
the top; a command imports the engine, providers, HTTP clients and Rich inside its body. A test
checks that ``import kedge.cli.main`` loads none of FastAPI, boto3, moto or uvicorn. Command
modules do not use ``from __future__ import annotations``: Typer would have to evaluate every
string annotation of every command at each start (tens of milliseconds); names imported only for
type checking are quoted instead.
"""


import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer

import kedge

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="kedge",
    help="Kedge: infrastructure as apps. Plan, apply and keep databases, clouds and files in line with git.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help, as kubectl and terraform print it: Rich's help boxes cost ~80 ms of imports on
    # every `--help` and print a `<bool>` type beside every flag.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        print(f"kedge {kedge.__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print Kedge's version and exit."),
    ] = False,
) -> None:
    """Kedge: infrastructure as apps. Plan, apply and keep databases, clouds and files in line with git."""


def handle_errors(fn: F) -> F:
    """Turn Kedge errors into a message and exit code 1; no traceback unless KEDGE_DEBUG is set."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise typer.Exit(130) from None
        except Exception as err:
            _report(err)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _report(err: Exception) -> None:
    # Imported here: the model and Rich are only needed once something went wrong.
    from kedge.cli import output
    from kedge.model import ConfigError, KedgeError

    if isinstance(err, ConfigError):
        if err.diagnostics:
            output.diagnostics(err.diagnostics)
        output.err.print(f"[bold red]error:[/] {output.escape(str(err))}")
    elif isinstance(err, KedgeError):
        output.err.print(f"[bold red]error:[/] {output.escape(str(err))}")
    else:
        if os.environ.get("KEDGE_DEBUG"):
            raise err
        output.err.print(
            f"[bold red]internal error:[/] {type(err).__name__}: {output.escape(str(err))} "
            "(set KEDGE_DEBUG=1 for details)"
        )


def _register() -> None:
    from kedge.cli import audit, client, cost, demo, explain, migrate, oneshot, secret, serve
    from kedge.cli import render as render_cli

    oneshot.register(app, handle_errors)
    render_cli.register(app, handle_errors)
    explain.register(app, handle_errors)
    serve.register(app, handle_errors)
    demo.register(app, handle_errors)
    audit.register(app, handle_errors)
    secret.register(app, handle_errors)
    client.register(app, handle_errors)
    cost.register(app, handle_errors)
    migrate.register(app, handle_errors)


def main() -> None:
    if sys.argv[1:] == ["--version"]:  # answered before the commands are even registered
        print(f"kedge {kedge.__version__}")
        return
    _register()
    app(prog_name="kedge")


if __name__ == "__main__":  # pragma: no cover
    main()
