"""The client commands: ``kedge app ...`` and ``kedge token ...`` against a Kedge server.

They speak the REST API (``--server`` / ``KEDGE_SERVER``, ``--token`` / ``KEDGE_TOKEN``); the
token commands also work directly on a state database to bootstrap the first tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from kedge.cli.client import apps, tokens


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    apps.register(app, handle)
    tokens.register(app, handle)


__all__ = ["register"]
