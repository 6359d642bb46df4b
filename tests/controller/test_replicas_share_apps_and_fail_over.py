"""Replicas as separate ``kedge serve`` processes on one PostgreSQL store: apps are spread over
them and disjoint; each commit is applied exactly once per app; a replica killed with -9 loses
its apps to the others within 20 s and the next commit is applied; a replica frozen past its
lease (SIGSTOP, then SIGCONT) is fenced and applies nothing twice; an operation started on one
replica is read on another."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.pg import PgCluster, unique_name
from tests.fixtures.replicas import ReplicaSet, wait_until

pytestmark = pytest.mark.postgres
FAILOVER = 20.0  # seconds: the promise of docs/replicas.md


@pytest.fixture
def replica_set(tmp_path: Path, pg_cluster: PgCluster) -> Iterator[ReplicaSet]:
    url = pg_cluster.url(pg_cluster.create_database(unique_name("replicas_")))
    replicas = ReplicaSet(tmp_path, url, count=8)
    try:
        yield replicas
    finally:
        replicas.close()


def _spread(replicas: ReplicaSet, expected: int) -> dict[str, list[str]]:
    owners = replicas.owners()
    if len(owners) != expected:
        return {}
    owned = [app for apps in owners.values() for app in apps]
    return owners if sorted(owned) == replicas.apps and len(set(owned)) == len(owned) else {}


def _applied_once(replicas: ReplicaSet, revision: str) -> dict[str, int]:
    """How many runs applied ``revision`` as a new commit, per app."""
    return {app: len(runs) for app, runs in replicas.commit_runs(revision).items()}


def test_apps_spread_fail_over_and_each_commit_applies_once(replica_set: ReplicaSet) -> None:
    first = replica_set.commit_all("v1\n")
    replica_set.start(3)
    owners = wait_until(lambda: _spread(replica_set, 3), 30, "apps spread over three replicas")
    # Disjoint and complete (``_spread``); with random replica names and 8 apps, one of three
    # replicas owning none is a legal outcome of rendezvous hashing (about one start in nine).
    assert sum(len(apps) for apps in owners.values()) == len(replica_set.apps)
    wait_until(lambda: set(replica_set.contents().values()) == {"v1\n"}, 60, "v1 applied everywhere")
    assert set(_applied_once(replica_set, first).values()) == {1}, "each app applied v1 exactly once"

    victim = max(replica_set.alive(), key=lambda r: len(replica_set.owners(r)))
    victim_name = replica_set.name_of(victim)
    survivor = next(r for r in replica_set.alive() if r is not victim)
    replica_set.kill(victim)
    killed = time.monotonic()
    wait_until(
        lambda: victim_name not in replica_set.owners(survivor) and _spread(replica_set, 2),
        FAILOVER + 5,
        "takeover",
    )
    assert time.monotonic() - killed < FAILOVER

    second = replica_set.commit_all("v2\n")
    wait_until(lambda: set(replica_set.contents().values()) == {"v2\n"}, 60, "v2 applied by the survivors")
    assert set(_applied_once(replica_set, second).values()) == {1}, "each app applied v2 exactly once"

    a, b = replica_set.alive()
    name_a = replica_set.name_of(a)
    app = replica_set.owners(a)[name_a][0]
    op = replica_set.post(f"/api/v1/apps/{app}/sync", {}, b)  # asked of the replica that does not own it
    done = wait_until(
        lambda: (
            (seen := replica_set.get(f"/api/v1/operations/{op['id']}", b))["state"] == "succeeded" and seen
        ),
        30,
        "the operation, run by the owner and read where it was asked",
    )
    assert done["app"] == app and done["replica"] == name_a


def test_a_frozen_replica_is_fenced_and_applies_nothing_twice(replica_set: ReplicaSet) -> None:
    first = replica_set.commit_all("v1\n")
    frozen, awake = replica_set.start(2)
    wait_until(lambda: _spread(replica_set, 2), 30, "apps spread over two replicas")
    wait_until(lambda: set(replica_set.contents().values()) == {"v1\n"}, 60, "v1 applied")
    replica_set.pause(frozen)
    wait_until(lambda: len(replica_set.owners(awake)) == 1, FAILOVER + 5, "the frozen replica is counted out")
    second = replica_set.commit_all("v2\n")
    wait_until(
        lambda: set(replica_set.contents().values()) == {"v2\n"}, 60, "v2 applied by the awake replica"
    )
    replica_set.resume(frozen)
    wait_until(lambda: _spread(replica_set, 2), 30, "the thawed replica rejoins and takes a share again")
    third = replica_set.commit_all("v3\n")
    wait_until(lambda: set(replica_set.contents().values()) == {"v3\n"}, 60, "v3 applied")
    for revision in (first, second, third):
        assert set(_applied_once(replica_set, revision).values()) == {1}, revision
    assert replica_set.get("/api/v1/audit/verify")["ok"] is True
