"""``kedge demo``: everything embedded, nothing to install or sign up for.

Creates a sample git repository, starts an AWS API server (moto) as the demo cloud, declares a
local-files ProviderConfig, registers a demo app with automated sync and self-heal, serves the
API and UI on 127.0.0.1:8080, and prints three things to try. Ctrl-C stops it all. The work is
in ``demo_session`` (and ``demo_cloud``), imported only when the command runs.
"""


from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    @app.command()
    @handle
    def demo(
        port: Annotated[int, typer.Option("--port", help="Port of the API and UI.")] = 8080,
        workdir: Annotated[
            Path | None,
            typer.Option(
                "--dir", help="Where to put the demo, kept after exit [default: a temporary directory]"
            ),
        ] = None,
        with_cloud: Annotated[
            bool,
            typer.Option("--cloud/--no-cloud", help="Include the demo cloud: an AWS API served by moto."),
        ] = True,
        remind: Annotated[
            float, typer.Option("--remind", min=1, help="Seconds between reprints of the things to try.")
        ] = 300.0,
    ) -> None:
        """Run Kedge on an embedded example: sample repo, fake cloud, API and UI."""
        from kedge.cli.demo_session import run

        run(port, workdir, with_cloud, remind)
