"""Rendezvous hashing gives every app exactly one owner, spreads apps evenly, and when a replica
joins or leaves moves only the apps it gains or loses."""

from __future__ import annotations

import pytest

from kedge.controller.sharding import assign, owner

APPS = [f"app-{i}" for i in range(3000)]


@pytest.mark.parametrize(
    ("replicas", "reason"),
    [
        (["a"], "one replica owns everything"),
        (["a", "b"], "two replicas"),
        (["a", "b", "c"], "three replicas"),
        (["r1", "r2", "r3", "r4", "r5"], "five replicas"),
    ],
)
def test_every_app_has_one_owner_and_the_spread_is_even(replicas: list[str], reason: str) -> None:
    shards = assign(APPS, replicas)
    owned = [app for apps in shards.values() for app in apps]
    assert sorted(owned) == sorted(APPS), reason
    fair = len(APPS) / len(replicas)
    for replica, apps in shards.items():
        assert abs(len(apps) - fair) < fair * 0.15, f"{reason}: {replica} owns {len(apps)}"


def test_the_answer_does_not_depend_on_the_order_of_the_list() -> None:
    assert all(owner(app, ["a", "b", "c"]) == owner(app, ["c", "a", "b"]) for app in APPS[:200])


def test_a_leaving_replica_moves_only_its_own_apps() -> None:
    before = {app: owner(app, ["a", "b", "c"]) for app in APPS}
    after = {app: owner(app, ["a", "c"]) for app in APPS}
    moved = {app for app in APPS if before[app] != after[app]}
    assert moved == {app for app in APPS if before[app] == "b"}


def test_a_joining_replica_takes_about_its_share_and_nothing_moves_between_others() -> None:
    before = {app: owner(app, ["a", "b"]) for app in APPS}
    after = {app: owner(app, ["a", "b", "c"]) for app in APPS}
    moved = [app for app in APPS if before[app] != after[app]]
    assert all(after[app] == "c" for app in moved), "apps only move to the newcomer"
    assert abs(len(moved) - len(APPS) / 3) < len(APPS) * 0.05


def test_no_replicas_no_owner() -> None:
    assert owner("web", []) is None
    assert assign(["web"], []) == {}
