"""Two controller replicas on one state store: each app reconciles on one replica at a time, and
a replica that died holding a lease on this host does not block its successor."""

from __future__ import annotations

import socket
import threading
import time

from tests.controller.conftest import app_spec, file_doc, wait_for


def test_two_replicas_never_reconcile_one_app_at_once(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    first = make_controller(start=False)
    second = make_controller(start=False)
    running: list[int] = []
    peak: list[int] = []
    lock = threading.Lock()
    for controller in (first, second):
        original = controller.reconciler.reconcile

        def counting(*args, original=original, **kwargs):
            with lock:
                running.append(1)
                peak.append(len(running))
            try:
                time.sleep(0.05)
                return original(*args, **kwargs)
            finally:
                with lock:
                    running.pop()

        controller.reconciler.reconcile = counting
    first.create_app("web", app_spec(repo.path), actor="tester")
    first.start()
    second.start()
    for _ in range(10):
        first.sync("web", actor="tester")
        second.sync("web", actor="tester")
    wait_for(lambda: len(peak) >= 10, message="syncs ran")
    wait_for(lambda: (root / "motd").exists())
    time.sleep(0.5)
    assert max(peak) == 1, "one replica at a time"


def test_a_dead_replicas_lease_on_this_host_is_freed_at_start(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller(start=False)
    controller.store.put_app("web", app_spec(repo.path))
    dead = f"{socket.gethostname()}:999999999:deadbeef"  # no such process
    assert controller.store.acquire_lease("app:web", dead, ttl=3600)
    controller.start()
    wait_for(lambda: (root / "motd").exists(), message="the app is reconciled despite the stale lease")
