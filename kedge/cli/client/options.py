"""The options every client command shares, and the client itself made on first use.

Kept apart from ``http`` so that registering the client commands (every ``kedge`` start-up)
does not load httpx or the model.
"""


from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from kedge.cli.client.http import ApiClient

ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="KEDGE_SERVER",
        help="Kedge server URL, e.g. http://127.0.0.1:8080.",
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="KEDGE_TOKEN",
        show_default=False,
        help="API token (prefer the environment variable: a flag shows in ps).",
    ),
]


def connect(server: str | None, token: str | None) -> "ApiClient":
    from kedge.cli.client.http import ApiClient

    return ApiClient(server, token)
