"""Two controller replicas on one state store: each app reconciles on one replica at a time, and
a replica restarted in place does not wait long on the lease its predecessor held."""

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


def test_a_restarted_replica_does_not_wait_on_its_predecessors_lease(make_controller, repo, root) -> None:
    """A container restarted with the same hostname and pid is a new replica (a random instance
    name): the lease its predecessor held runs out after its short term, and the app is
    reconciled, with no check of process ids that a pid 1 would fool."""
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    controller = make_controller(start=False, heartbeat_ttl=1.0)
    controller.store.put_app("web", app_spec(repo.path))
    predecessor = f"{socket.gethostname()}-deadbeef"
    assert controller.store.acquire_lease("app:web", predecessor, ttl=1.0)
    assert controller.holder != predecessor and controller.holder.startswith(socket.gethostname())
    controller.start()
    wait_for(
        lambda: controller.get_app("web")["status"]["sync"] == "Synced",
        message="the app is reconciled once the old lease ran out",
    )
    assert (root / "motd").read_text() == "hello\n"
