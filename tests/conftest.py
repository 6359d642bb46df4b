"""Shared fixtures: the ``kedge`` command run in-process, and app directories in tmp paths."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kedge.cli import main as cli_main

cli_main._register()

pytest_plugins = [
    "tests.fixtures.pg",
    "tests.fixtures.aws",
    "tests.fixtures.faultproxy",
    "tests.fixtures.tcpfault",
    "tests.fixtures.azure",
    "tests.fixtures.gcs",
    "tests.fixtures.refusing",
]

KedgeRun = Callable[..., "RunResult"]


class RunResult:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __repr__(self) -> str:
        return f"exit {self.exit_code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


@pytest.fixture
def kedge() -> KedgeRun:
    """Run ``kedge ARGS...`` in-process; returns exit code, stdout and stderr."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> RunResult:
        result = runner.invoke(
            cli_main.app, [str(a) for a in args], input=input, env=env, catch_exceptions=False
        )
        return RunResult(result.exit_code, result.stdout, result.stderr)

    return run


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def local_app(tmp_path: Path) -> Callable[[str], tuple[Path, Path]]:
    """An app directory with a local ProviderConfig rooted at a fresh directory, plus ``body``."""

    def make(body: str, name: str = "app") -> tuple[Path, Path]:
        app = tmp_path / name
        root = tmp_path / f"{name}-files"
        root.mkdir(exist_ok=True)
        write(
            app / "provider.yaml",
            f"""
            apiVersion: kedge.dev/v1
            kind: ProviderConfig
            metadata:
              name: default
            spec:
              provider: local
              settings:
                root: {root}
            """,
        )
        write(app / "resources.yaml", body)
        return app, root

    return make
