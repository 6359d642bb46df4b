"""Run ``kedge`` as a user does: a separate process, its own start-up, real exit codes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Done:
    exit_code: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:
        return f"exit {self.exit_code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KEDGE_")}
    base.update({"PYTHONUNBUFFERED": "1", "COLUMNS": "60"}, **extra)
    return base


def command(*args: object) -> list[str]:
    return [sys.executable, "-m", "kedge.cli.main", *(str(a) for a in args)]


def kedge(*args: object, cwd: Path | None = None, input: str = "", timeout: float = 60, **extra: str) -> Done:
    done = subprocess.run(
        command(*args), cwd=cwd or ROOT, input=input, capture_output=True, text=True,
        timeout=timeout, env=env(**extra),
    )
    return Done(done.returncode, done.stdout, done.stderr)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
