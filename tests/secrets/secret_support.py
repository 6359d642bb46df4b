"""Helpers for secret tests: the ``kedge secret`` commands in-process, and an age identity on disk.

Plain functions rather than fixtures: this directory is not a package (a package named
``secrets`` would shadow the standard library's), so it cannot have a conftest of its own.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from kedge.cli import secret
from kedge.cli.main import handle_errors
from kedge.engine.encryption import generate
from tests.conftest import RunResult

_app = typer.Typer()


@_app.callback()
def _root() -> None:
    """kedge"""


secret.register(_app, handle_errors)


def kedge_secret(*args: object, input: str | bytes | None = None) -> RunResult:
    """Run ``kedge secret ARGS...`` in-process."""
    result = CliRunner().invoke(_app, ["secret", *map(str, args)], input=input, catch_exceptions=False)
    return RunResult(result.exit_code, result.stdout, result.stderr)


def age_identity(directory: Path) -> tuple[Path, str]:
    """An identity file (as ``kedge secret keygen`` writes it) in ``directory``, and its recipient."""
    identity, recipient = generate()
    path = directory / "keys" / "server.key"
    path.parent.mkdir(parents=True)
    path.write_text(f"# public key: {recipient}\n{identity}\n")
    path.chmod(0o600)
    return path, recipient
