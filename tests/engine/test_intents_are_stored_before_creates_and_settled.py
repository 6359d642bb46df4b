"""An intent is stored before each create reaches the provider, so a process that dies during
the call leaves a trace; it is settled when the object is in the inventory, whether this run
created it or the next run found it again."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from kedge.engine import Engine
from kedge.model import Identity, ResourceKey
from kedge.providers.fake import FakeProvider
from kedge.store import Store
from tests.engine.conftest import PROVIDER, thing, write_app


def wait_until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_intent_exists_while_the_create_runs(tmp_path: Path, engine: Engine, fake: FakeProvider) -> None:
    app = write_app(tmp_path / "app", thing("db", "value: 1"), thing("cache", "value: 2"))
    held = fake.gate("create", "db")  # the provider call for db waits until released
    run = engine.plan("shop", app)
    applying = threading.Thread(target=engine.apply, args=(run,))
    applying.start()
    try:
        wait_until(lambda: ("create", "Thing", "db") in fake.calls)
        intents = {str(i.key): i.spec for i in engine.store.intents("shop")}
        assert intents == {"Thing/db": {"value": 1}, "Thing/cache": {"value": 2}}
        assert "Thing/db" not in {str(e.key) for e in engine.store.inventory("shop")}
    finally:
        held.set()
        applying.join(10)
    engine.finish(run)

    assert engine.store.intents("shop") == []
    assert {str(e.key) for e in engine.store.inventory("shop")} == {"Thing/db", "Thing/cache"}


def test_intent_left_by_a_dead_run_is_settled(
    tmp_path: Path, engine: Engine, fake: FakeProvider, store: Store
) -> None:
    # A run died after the provider created db and before the inventory recorded it.
    key = ResourceKey(f"{PROVIDER}.kedge.dev/v1", "Thing", "db")
    store.add_intents("shop", [(key, Identity(PROVIDER, "default", "Thing", "db"), {"value": 1})])
    fake.put("Thing", "db", {"value": 1})  # no owner mark: the intent alone says it is ours

    run = engine.plan("shop", write_app(tmp_path / "app", thing("db", "value: 1")))
    [change] = run.plan.changes
    assert change.action.value == "record"  # found again, not created twice
    assert engine.apply(run).ok
    engine.finish(run)

    assert fake.calls_of("create") == []
    assert store.intents("shop") == []
    assert [str(e.key) for e in store.inventory("shop")] == ["Thing/db"]
