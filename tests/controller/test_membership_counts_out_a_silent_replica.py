"""Membership: replicas see each other through heartbeats; apps are split between the live
ones; a replica that cannot reach the store for longer than its heartbeat lease owns nothing
(the others may have counted it out), and owns its share again once the store answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kedge.controller.membership import Membership
from kedge.store import Store
from tests.fixtures.pg import PgCluster, unique_name
from tests.fixtures.tcpfault import TcpFaultProxy

APPS = [f"app-{i}" for i in range(60)]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    return pg_cluster.url(pg_cluster.create_database(unique_name("members_")))


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    with Store.open(pg_url) as opened:
        yield opened


@pytest.mark.postgres
def test_live_replicas_split_the_apps_and_a_leaving_one_hands_over(store: Store) -> None:
    changes: list[list[str]] = []
    a = Membership(store, name="a", on_change=changes.append)
    b = Membership(store, name="b")
    assert b.beat() and a.beat() and b.beat()  # until each has seen the other
    owned_a = {app for app in APPS if a.owns(app)}
    owned_b = {app for app in APPS if b.owns(app)}
    assert owned_a and owned_b, "both replicas get a share"
    assert owned_a.isdisjoint(owned_b) and owned_a | owned_b == set(APPS)
    b.leave()
    assert not any(b.owns(app) for app in APPS), "a replica that left owns nothing"
    assert a.beat()
    assert all(a.owns(app) for app in APPS), "the one left takes every app"
    assert changes[-1] == ["a"]


@pytest.mark.postgres
def test_a_replica_cut_off_from_the_store_owns_nothing_after_its_lease(
    pg_cluster: PgCluster, pg_url: str
) -> None:
    proxy = TcpFaultProxy("127.0.0.1", pg_cluster.port)
    clock = FakeClock()
    try:
        with Store.open(proxy.dsn(pg_url)) as store:
            member = Membership(store, name="a", ttl=15, clock=clock)
            assert member.beat() and all(member.owns(app) for app in APPS)
            proxy.cut()  # the database goes away
            assert not member.beat(), "the heartbeat fails without raising"
            clock.now += 10
            assert member.alive() and member.owns(APPS[0]), "within the lease it still counts"
            clock.now += 6
            assert not member.alive()
            assert not any(member.owns(app) for app in APPS), "past the lease it owns nothing"
            assert member.members() == []
            proxy.heal()
            assert member.beat(), "the store answers again"
            assert all(member.owns(app) for app in APPS)
    finally:
        proxy.close()


@pytest.mark.postgres
def test_a_restarted_process_is_a_new_member(store: Store) -> None:
    first = Membership(store)
    second = Membership(store)
    assert first.name != second.name, "random instance names, even for one host and pid"
    assert first.name.split("-")[0] == second.name.split("-")[0]
