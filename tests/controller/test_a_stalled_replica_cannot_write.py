"""A replica that stalls mid-reconcile past its lease (no heartbeat, no renewal: a long pause)
loses the app to another replica, which applies the commit; when the stalled reconcile wakes,
any write it tries is refused (it finds nothing left to apply, so it may try none) and the app
is applied once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kedge.controller.controller import Controller
from kedge.controller.sharding import owner
from kedge.store import FencedError
from tests.controller.conftest import GitRepo, app_spec, file_doc, two_replicas, wait_for
from tests.fixtures.pg import PgCluster, unique_name

pytestmark = pytest.mark.postgres


@pytest.fixture
def replicas(tmp_path: Path, pg_cluster: PgCluster, root: Path) -> Iterator[dict[str, Controller]]:
    url = pg_cluster.url(pg_cluster.create_database(unique_name("stall_")))
    with two_replicas(url, tmp_path, root, heartbeat_ttl=1.5) as made:
        yield made


def test_the_stalled_replicas_writes_are_refused(
    replicas: dict[str, Controller], repo: GitRepo, root: Path
) -> None:
    sha = repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    app = next(f"web-{i}" for i in range(100) if owner(f"web-{i}", sorted(replicas)) == "replica-a")
    stalled, other = replicas["replica-a"], replicas["replica-b"]
    stalled.store.put_app(app, app_spec(repo.path))
    wake, woke, refused = threading.Event(), threading.Event(), []
    real = stalled.reconciler.reconcile

    def stall(name: str, reasons: set[str], op: Any = None) -> float | None:
        stalled.membership.beat = lambda: True  # type: ignore[method-assign]  # frozen: no heartbeat
        stalled.leases.renew = lambda: []  # type: ignore[method-assign]  # ... and no renewal
        wake.wait(30)
        try:
            return real(name, reasons, op)
        except FencedError as err:
            refused.append(str(err))
            raise
        finally:
            woke.set()

    stalled.reconciler.reconcile = stall  # type: ignore[method-assign]
    stalled.start()
    wait_for(lambda: stalled.leases.held() == [app], message="the stalled replica holds the app")
    other.start()
    wait_for(lambda: other.get_app(app)["status"]["lastAppliedRevision"] == sha, message="taken over")
    assert (root / "motd").read_text() == "hello\n"
    wake.set()
    wait_for(woke.is_set, message="the stalled reconcile ends")
    assert all("no longer held" in message for message in refused), refused
    assert (root / "motd").read_text() == "hello\n"
    runs = [r for r in other.history(app) if r["revision"] == sha]
    assert len(runs) == 1, runs
    assert other.get_app(app)["status"]["sync"] == "Synced"
