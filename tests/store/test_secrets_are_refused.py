"""The store keeps raw specs (references unresolved): a resolved Secret passed by mistake is
refused with a TypeError that says where it was, never what it was, and nothing is written."""

from __future__ import annotations

import pytest

from kedge.model import InventoryEntry, Secret
from kedge.store import RunResult, Store

from .conftest import file_entry, file_identity, file_key

VALUE = "hunter2-very-secret"


def secret() -> Secret:
    return Secret(VALUE, source="fromEnv DB_PASSWORD")


def test_a_secret_in_an_inventory_entry_is_refused(store: Store) -> None:
    cases = {
        "spec": InventoryEntry(
            "web", file_key("a"), file_identity("/a"), spec={"auth": {"password": secret()}}
        ),
        "outputs": InventoryEntry("web", file_key("a"), file_identity("/a"), outputs={"token": secret()}),
        "list": InventoryEntry("web", file_key("a"), file_identity("/a"), spec={"users": [{"pw": secret()}]}),
    }
    for reason, entry in cases.items():
        with pytest.raises(TypeError) as raised:
            store.put_inventory_many([file_entry("web", "ok"), entry])
        assert VALUE not in str(raised.value), reason
        assert "fromEnv DB_PASSWORD" in str(raised.value), reason
    assert store.inventory("web") == []


def test_a_secret_in_an_intent_is_refused(store: Store) -> None:
    with pytest.raises(TypeError, match=r"spec of File/a\.password") as raised:
        store.add_intent("web", file_key("a"), file_identity("/a"), {"password": secret()})
    assert VALUE not in str(raised.value)
    assert store.intents("web") == []


def test_a_secret_in_history_is_refused(store: Store) -> None:
    run_id = store.start_run("web", revision=None, trigger="manual", actor="ann")
    diff = [{"path": "password", "before": None, "after": secret()}]
    with pytest.raises(TypeError) as raised:
        store.record_results(
            run_id,
            [
                RunResult(file_key("a"), "create", "succeeded"),
                RunResult(file_key("b"), "update", "succeeded", diff),
            ],
        )
    assert VALUE not in str(raised.value)
    with pytest.raises(TypeError):
        store.finish_run(run_id, "failed", message=secret())  # type: ignore[arg-type]
    run = store.run(run_id)
    assert run is not None and run.results == [] and run.finished_at is None


def test_values_that_are_not_json_are_refused_by_name(store: Store) -> None:
    with pytest.raises(TypeError, match=r"type object at spec of File/a\.x"):
        store.add_intent("web", file_key("a"), file_identity("/a"), {"x": object()})
