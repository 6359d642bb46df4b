"""kill -9 of ``kedge serve`` in the middle of a sync, then a restart: the app converges, nothing
is duplicated or left untracked, and no run stays "in progress"."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from kedge.store import Store
from tests.controller.conftest import GitRepo, file_doc

FILES = 2000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(config: Path) -> subprocess.Popen[bytes]:
    kedge = Path(sys.executable).with_name("kedge")
    return subprocess.Popen(
        [str(kedge), "serve", "--config", str(config), "--port", str(free_port())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_kill_9_mid_sync_then_restart_converges(tmp_path: Path) -> None:
    root = tmp_path / "files"
    root.mkdir()
    repo = GitRepo(tmp_path / "repo")
    repo.commit(
        {"app.yaml": "".join(file_doc(f"f{i}", f"d{i % 20}/f{i}.txt", f"file {i}\n") for i in range(FILES))}
    )
    db = tmp_path / "state.db"
    config = tmp_path / "kedge.yaml"
    config.write_text(f"""
apiVersion: kedge.dev/v1
kind: ServerConfig
metadata: {{name: server}}
spec: {{db: "{db}", adminToken: test-admin-token-0123456789, localSources: ["{repo.path}"]}}
---
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {{name: default}}
spec: {{provider: local, settings: {{root: "{root}"}}}}
---
apiVersion: kedge.dev/v1
kind: Application
metadata: {{name: big}}
spec:
  source: {{repoURL: "{repo.path}", targetRevision: main}}
  syncPolicy: {{automated: true, selfHeal: true, prune: true}}
""")
    first = serve(config)
    try:
        deadline = time.monotonic() + 60
        while not any(root.rglob("*.txt")):
            assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
            assert time.monotonic() < deadline, "the sync never started"
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    written_before_restart = sum(1 for _ in root.rglob("*.txt"))
    assert written_before_restart < FILES, "the kill should land in the middle of the sync"

    second = serve(config)
    try:
        deadline = time.monotonic() + 120
        while True:
            with Store.open(str(db)) as store:
                app = store.get_app("big")
                status = dict(app.status or {}) if app else {}
                if status.get("sync") == "Synced":
                    inventory = store.inventory("big")
                    intents = store.intents("big")
                    runs = store.runs("big")
                    break
            assert second.poll() is None, second.stderr.read().decode() if second.stderr else ""
            assert time.monotonic() < deadline, f"did not converge: {status}"
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(20)
        except subprocess.TimeoutExpired:
            second.kill()
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.txt"))
    assert len(files) == FILES
    assert sorted(e.identity.external_id for e in inventory) == files, "every file tracked exactly once"
    assert intents == [], "no create left half-recorded"
    assert all(r.result != "running" for r in runs), "no run stuck in progress"
    assert any(r.result == "interrupted" for r in runs), "the killed run is marked interrupted"
