"""A replica that starts never marks the runs of apps other replicas own as interrupted; the
owner of an app marks an unfinished run of it once it holds the app's lease (then no process can
still be running it)."""

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
def replicas(tmp_path: Path, pg_cluster: PgCluster, root: Path) -> Iterator[dict[str, Controller]]:
    url = pg_cluster.url(pg_cluster.create_database(unique_name("startup_")))
    with two_replicas(url, tmp_path, root) as made:
        yield made


def test_only_the_owner_marks_an_unfinished_run(replicas: dict[str, Controller], repo: GitRepo) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    a, b = replicas["replica-a"], replicas["replica-b"]
    app = next(f"web-{i}" for i in range(100) if owner(f"web-{i}", ["replica-a", "replica-b"]) == "replica-b")
    a.store.put_app(app, app_spec(repo.path))
    running = a.store.start_run(app, revision="abc", trigger="commit", actor="controller")
    b.membership.start()  # b is a live member, its app in flight
    a.start()
    wait_for(lambda: a.membership.members() == ["replica-a", "replica-b"], message="a sees b")
    wait_for(lambda: a.ready(), message="a is serving")
    assert a.store.run(running).result == "running", "a never touches b's run"
    b.start()
    wait_for(lambda: b.store.run(running).result == "interrupted", message="b, holding the lease, marks it")
