"""Create intents: written before a create, read back after a crash, cleared once the object is
in the inventory; clearing together with the inventory write is all-or-nothing."""

from __future__ import annotations

from datetime import UTC

from kedge.store import Store

from .conftest import StepClock, file_entry, file_identity, file_key


def test_an_intent_comes_back_exactly_as_written(store: Store, clock: StepClock) -> None:
    spec = {"path": "/srv/a", "content": {"fromEnv": "A"}, "mode": "0644", "tags": ["x", 1, None, True]}
    intent_id = store.add_intent("web", file_key("a"), file_identity("/srv/a"), spec)

    [intent] = store.intents("web")
    assert intent.id == intent_id
    assert (intent.app, intent.key, intent.identity, intent.spec) == (
        "web",
        file_key("a"),
        file_identity("/srv/a"),
        spec,
    )
    assert intent.created_at == clock.now and intent.created_at.tzinfo is UTC
    assert store.intents("other") == []

    store.clear_intent(intent_id)
    store.clear_intent(intent_id)  # clearing twice is harmless
    assert store.intents("web") == []


def test_batched_intents_keep_their_order_and_ids_are_never_reused(store: Store) -> None:
    items = [(file_key(f"f{n}"), file_identity(f"/f{n}"), {"n": n}) for n in range(50)]
    ids = store.add_intents("web", items)
    assert len(set(ids)) == 50
    assert [(i.id, i.key, i.spec) for i in store.intents("web")] == [
        (ids[n], items[n][0], {"n": n}) for n in range(50)
    ]

    store.clear_intents(ids[:49])
    assert [i.id for i in store.intents("web")] == [ids[49]]
    store.clear_intents([ids[49]])
    later = store.add_intent("web", file_key("new"), file_identity("/new"), {})
    assert later not in ids


def test_the_inventory_write_clears_its_intent_in_the_same_transaction(store: Store) -> None:
    entry = file_entry("web", "a")
    intent_id = store.add_intent("web", entry.key, entry.identity, entry.spec)
    other = store.add_intent("web", file_key("b"), file_identity("/b"), {})

    store.put_inventory(entry, clear_intent=intent_id)

    assert [e.key for e in store.inventory("web")] == [entry.key]
    assert [i.id for i in store.intents("web")] == [other]
