"""`kedge demo` as someone trying Kedge meets it: through its terminal and its HTTP port."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.cli.process import ROOT, command, env, free_port, kedge

NOISE = ("werkzeug", "Found credentials", '"GET /', '"PUT /', '"levelname"', '"level":', "INFO")


class Terminal:
    """The demo's standard output, read line by line while it runs."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, predicate, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.text()):
                return
            time.sleep(0.1)
        raise AssertionError(f"no {what} in the demo's terminal:\n{self.text()}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_a_taken_port_is_reported_before_anything_is_built(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = kedge("demo", "--port", port, TMPDIR=str(tmp_path))
    assert result.exit_code == 1, result
    assert f"port {port}" in result.stderr and "in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == [], "nothing is built when the port is taken"


def test_without_moto_the_demo_says_what_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "no-moto" / "moto"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('No module named moto')\n")
    result = kedge(
        "demo", "--port", free_port(), TMPDIR=str(tmp_path), PYTHONPATH=f"{blocker.parent}:{ROOT}"
    )
    assert result.exit_code == 1, result
    assert "kedge[demo]" in result.stderr and "--no-cloud" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.aws
def test_demo_shows_its_own_events_reminds_and_removes_its_directory(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        command("demo", "--port", port, "--remind", "3"),
        cwd=ROOT,
        env=env(TMPDIR=str(tmp_path)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    terminal = Terminal(process)
    try:
        terminal.wait_for(lambda t: "Three things to try" in t, "instructions")
        assert _answers(f"{url}/healthz")
        (base,) = tmp_path.glob("kedge-demo-*")
        terminal.wait_for(lambda t: "applied revision" in t, "first sync")

        (base / "files" / "etc" / "motd").write_text("tampered\n")
        terminal.wait_for(lambda t: "drift reverted" in t, "drift reverted event")
        assert "drift found in File/motd" in terminal.text()
        assert (base / "files" / "etc" / "motd").read_text().startswith("Welcome to the Kedge demo")

        shown = terminal.text().count("Three things to try")
        assert process.stdin is not None
        process.stdin.write("\n")
        process.stdin.flush()
        terminal.wait_for(lambda t: t.count("Three things to try") > shown, "reprint on Enter", 10)
        shown = terminal.text().count("Three things to try")
        terminal.wait_for(lambda t: t.count("Three things to try") > shown, "periodic reprint", 15)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert not base.exists(), "the temporary directory is removed on Ctrl-C"
    for noise in NOISE:
        assert noise not in terminal.text() + stderr, noise
    assert not _answers(f"{url}/healthz")
