"""Entry point of the ``kedge`` command.

Every command exits 0 on success, 1 on error, and (where documented) 2 when changes or drift
are present. Errors print as one clear message on stderr, never a traceback (set
``KEDGE_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

from kedge.cli import output
from kedge.model import ConfigError, KedgeError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="kedge",
    help="Kedge: infrastructure as apps. Plan, apply and keep databases, clouds and files in line with git.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def handle_errors(fn: F) -> F:
    """Turn Kedge errors into a message and exit code 1; no traceback unless KEDGE_DEBUG is set."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except ConfigError as err:
            if err.diagnostics:
                output.diagnostics(err.diagnostics)
            output.err.print(f"[bold red]error:[/] {output.escape(str(err))}")
            raise typer.Exit(1) from None
        except KedgeError as err:
            output.err.print(f"[bold red]error:[/] {output.escape(str(err))}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            output.err.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as err:
            if os.environ.get("KEDGE_DEBUG"):
                raise
            output.err.print(
                f"[bold red]internal error:[/] {type(err).__name__}: {output.escape(str(err))} "
                "(set KEDGE_DEBUG=1 for details)"
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _register() -> None:
    from kedge.cli import audit, client, cost, demo, explain, oneshot, secret, serve

    oneshot.register(app, handle_errors)
    explain.register(app, handle_errors)
    serve.register(app, handle_errors)
    demo.register(app, handle_errors)
    audit.register(app, handle_errors)
    secret.register(app, handle_errors)
    client.register(app, handle_errors)
    cost.register(app, handle_errors)


def main() -> None:
    _register()
    app(prog_name="kedge")


if __name__ == "__main__":  # pragma: no cover
    main()
