"""The demo's fake cloud: moto's AWS API in a process of its own.

It loads on the second core while the demo loads Kedge, its access log goes nowhere, and it
dies with the demo (``PR_SET_PDEATHSIG`` on Linux), even when the demo is killed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

MOTO_MISSING = (
    "the demo cloud needs moto, which is not installed: run scripts/demo, or "
    "pip install 'kedge[demo]', or start the demo without it: kedge demo --no-cloud"
)

def check_cloud() -> None:
    import importlib.util

    from kedge.model import ConfigError

    try:
        found = importlib.util.find_spec("moto.server") is not None
    except ImportError:
        found = False
    if not found:
        raise ConfigError(MOTO_MISSING)


def start_cloud() -> tuple[subprocess.Popen[bytes], str]:
    """Start moto on a free port of 127.0.0.1; returns the process and its endpoint URL."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    return process, f"http://127.0.0.1:{port}"


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def wait_for_cloud(process: subprocess.Popen[bytes], endpoint: str, timeout: float = 60.0) -> None:
    """Wait until the fake cloud accepts connections, so the first sync does not fail."""
    import time

    from kedge.model import KedgeError

    port = int(endpoint.rsplit(":", 1)[1])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise KedgeError(f"the demo cloud (moto) exited with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise KedgeError(f"the demo cloud (moto) did not start within {timeout:.0f} s")


def stop_cloud(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
