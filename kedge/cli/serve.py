"""``kedge serve``: run the controller and the HTTP server in one process.

Configuration comes from ``--config FILE`` (a YAML file of core-kind documents: an optional
``ServerConfig``, ``ProviderConfig``s and ``Application``s); flags override it. The heavy
imports happen inside the command so that ``kedge plan`` starts fast.
"""


from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from kedge.cli import output


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    @app.command()
    @handle
    def serve(
        config: Annotated[Path | None, typer.Option("--config", help="Server configuration YAML.")] = None,
        db: Annotated[
            str | None, typer.Option("--db", help="State store URL [default: .kedge/state.db]")
        ] = None,
        host: Annotated[
            str | None, typer.Option("--host", help="Address to listen on [default: 127.0.0.1]")
        ] = None,
        port: Annotated[int | None, typer.Option("--port", help="Port to listen on [default: 8080]")] = None,
    ) -> None:
        """Run the controller, the REST API, the web UI and the webhook receiver."""
        from kedge.cli.server import Server, configure_logging, read_config, wait_for_interrupt

        configure_logging()
        settings = read_config(config)
        settings.db = db or settings.db
        settings.host = host or settings.host
        settings.port = port if port is not None else settings.port
        server = Server.build(settings)
        server.start()
        output.err.print(
            f"Kedge is serving on http://{settings.host}:{settings.port} "
            f"(state: {server.store.url}, replica {server.controller.holder})"
        )
        try:
            wait_for_interrupt()
        finally:
            output.err.print("Stopping...")
            server.stop()
