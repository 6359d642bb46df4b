"""A ``kill -9`` while writing a local file leaves ``.kedge-PID-N.tmp`` behind; the next
reconcile of that root removes the temporary files of processes that are gone, and leaves
those of live processes (they may still be writing)."""

from __future__ import annotations

import subprocess
import sys

FILE = """
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: motd}
spec: {path: conf/motd, content: "hello\\n"}
"""


def test_next_apply_removes_temp_files_of_dead_writers(kedge, local_app) -> None:
    app, root = local_app(FILE)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (root / "conf").mkdir()
        stale = root / "conf" / f".kedge-{dead_pid}-7.tmp"
        stale.write_text("half a file")
        busy = root / "conf" / f".kedge-{live.pid}-1.tmp"
        busy.write_text("being written")

        result = kedge("apply", app, "--auto-approve")
        assert result.exit_code == 0, result
        assert not stale.exists(), "the dead writer's temporary file is removed"
        assert busy.exists(), "a live writer's temporary file is left alone"
        assert (root / "conf" / "motd").read_text() == "hello\n"
    finally:
        live.kill()
        live.wait()
