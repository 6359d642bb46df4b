"""A request may reach any replica: an app created on one replica that another owns is
reconciled by its owner, a sync asked of the wrong replica runs on the owner and is read back
where it was asked, and a deletion makes every replica forget the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kedge.controller.controller import Controller
from kedge.controller.sharding import owner
from tests.controller.conftest import GitRepo, app_spec, file_doc, two_replicas, wait_for
from tests.fixtures.pg import PgCluster, unique_name

pytestmark = pytest.mark.postgres


@pytest.fixture
def pair(tmp_path: Path, pg_cluster: PgCluster, root: Path) -> Iterator[tuple[Controller, Controller]]:
    url = pg_cluster.url(pg_cluster.create_database(unique_name("wake_")))
    with two_replicas(url, tmp_path, root) as made:
        first, second = made["replica-a"], made["replica-b"]
        for controller in (first, second):
            controller.start()
        wait_for(lambda: len(first.membership.members()) == 2 and len(second.membership.members()) == 2)
        yield first, second


def test_the_owner_does_the_work_asked_of_another_replica(
    pair: tuple[Controller, Controller], repo: GitRepo, root: Path
) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    by_name = {c.holder: c for c in pair}
    app = next(f"web-{i}" for i in range(100) if owner(f"web-{i}", sorted(by_name)) == "replica-b")
    asked, owning = by_name["replica-a"], by_name["replica-b"]
    asked.create_app(app, app_spec(repo.path), actor="tester")
    wait_for(lambda: asked.get_app(app)["status"]["sync"] == "Synced", message="reconciled by its owner")
    assert (root / "motd").read_text() == "hello\n"
    assert {r["name"]: r["apps"] for r in asked.replicas()} == {"replica-a": [], "replica-b": [app]}

    op = asked.sync(app, actor="tester")
    done = wait_for(lambda: (seen := asked.operation(op["id"]))["state"] == "succeeded" and seen)
    assert done["replica"] == "replica-b", "run by the owner, read where it was asked"

    owning.reconciler.costs[app] = {"before": 0, "after": 0, "currency": "USD"}
    asked.delete_app(app, actor="tester")
    wait_for(lambda: app not in owning.reconciler.costs, message="the owner forgets the deleted app")
