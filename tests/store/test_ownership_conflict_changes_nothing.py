"""An identity has one owner. A second app (or a second resource of the same app) that claims
it gets a ConflictError, and nothing of the write is recorded, for either app."""

from __future__ import annotations

import pytest

from kedge.model import ConflictError, InventoryEntry
from kedge.store import Store

from .conftest import file_entry, file_identity, file_key


def test_another_app_claiming_an_owned_identity_conflicts_and_changes_nothing(store: Store) -> None:
    store.put_inventory(file_entry("web", "index", "/srv/index.html", content="v1"))
    before = store.inventory("web")

    with pytest.raises(ConflictError) as raised:
        store.put_inventory(file_entry("blog", "home", "/srv/index.html", content="v2"))

    assert "'web'" in str(raised.value) and "'blog'" in str(raised.value)
    assert store.inventory("web") == before
    assert store.inventory("blog") == []
    assert store.owners([file_identity("/srv/index.html")]) == {file_identity("/srv/index.html"): "web"}


def test_a_batch_with_one_conflict_writes_none_of_its_entries(store: Store) -> None:
    store.put_inventory(file_entry("web", "index", "/srv/index.html"))
    batch = [file_entry("blog", f"post{n}", f"/srv/post{n}.html") for n in range(5)]
    batch.insert(3, file_entry("blog", "stolen", "/srv/index.html"))
    intent = store.add_intent("blog", file_key("post0"), file_identity("/srv/post0.html"), {})

    with pytest.raises(ConflictError):
        store.put_inventory_many(batch, clear_intents=[intent])

    assert store.inventory("blog") == []
    assert [i.id for i in store.intents("blog")] == [intent]


def test_one_app_cannot_manage_one_object_through_two_resources(store: Store) -> None:
    store.put_inventory(file_entry("web", "a", "/srv/same"))
    with pytest.raises(ConflictError, match="declared twice"):
        store.put_inventory(file_entry("web", "b", "/srv/same"))
    with pytest.raises(ConflictError, match="declared twice"):
        store.put_inventory_many([file_entry("api", "x", "/srv/other"), file_entry("api", "y", "/srv/other")])
    assert [e.key.name for e in store.inventory("web")] == ["a"]
    assert store.inventory("api") == []


def test_the_same_object_under_another_provider_config_is_another_identity(store: Store) -> None:
    store.put_inventory(file_entry("web", "index", "/srv/index.html"))
    other = InventoryEntry("blog", file_key("index"), file_identity("/srv/index.html", config="staging"))
    store.put_inventory(other)
    assert store.owners([file_identity("/srv/index.html"), other.identity]) == {
        file_identity("/srv/index.html"): "web",
        other.identity: "blog",
    }


def test_putting_a_key_again_updates_it_in_place(store: Store) -> None:
    store.put_inventory(file_entry("web", "index", content="v1"))
    updated = InventoryEntry(
        "web",
        file_key("index"),
        file_identity("/index"),
        spec={"path": "/index", "content": {"fromEnv": "PAGE"}},
        outputs={"sha": "abc"},
        annotations={"kedge.dev/deletion-policy": "Orphan"},
        labels={"team": "site"},
        adopted=True,
    )
    store.put_inventory(updated)
    assert store.inventory("web") == [updated]


def test_owners_reports_only_owned_identities_and_removal_releases_them(store: Store) -> None:
    store.put_inventory_many([file_entry("web", f"f{n}") for n in range(3)])
    store.put_inventory(file_entry("api", "g"))
    asked = [file_identity(f"/f{n}") for n in range(3)] + [file_identity("/nobody"), file_identity("/g")]

    assert store.owners(asked) == {
        **{file_identity(f"/f{n}"): "web" for n in range(3)},
        file_identity("/g"): "api",
    }
    assert store.apps_in_inventory() == ["api", "web"]

    store.remove_inventory("web", file_key("f0"))
    store.remove_inventory("web", file_key("missing"))  # forgetting what is not there is fine
    store.remove_inventory("api", file_key("f1"))  # another app's key: nothing happens
    assert [e.key.name for e in store.inventory("web")] == ["f1", "f2"]

    store.put_inventory(file_entry("api", "f0"))  # the released identity can be taken
    store.remove_inventory_many("web", [file_key("f1"), file_key("f2")])
    store.remove_inventory("api", file_key("g"))
    assert store.apps_in_inventory() == ["api"]
