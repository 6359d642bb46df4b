"""``kedge serve`` on SQLite is a single replica: a second server on the same file stops at once
with a message naming the file, the first server's pid and what to do, and exits 1; the first
one goes on serving."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.cli.process import command, env, free_port, kedge


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_a_second_serve_on_the_same_sqlite_file_exits_1(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    port = free_port()
    first = subprocess.Popen(
        command("serve", "--db", db, "--port", port),
        cwd=tmp_path,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline, "the first server never answered"
            time.sleep(0.2)
        second = kedge("serve", "--db", db, "--port", free_port(), cwd=tmp_path)
        assert second.exit_code == 1, second
        assert f"{db} is already served by another kedge serve (pid {first.pid})" in second.stderr
        assert "single replica" in second.stderr and "postgresql://" in second.stderr
        assert "Traceback" not in second.stderr
        assert _answers(port), "the first server is unaffected"
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
    assert first.returncode == 0
