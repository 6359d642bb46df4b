"""The apply benchmark's scale: 10,000 inventory rows in one batched write well under a second
on SQLite, and batched intents to match."""

from __future__ import annotations

import time
from pathlib import Path

from kedge.model import Identity, InventoryEntry, ResourceKey
from kedge.store import Store

N = 10_000


def entries(app: str = "bench") -> list[InventoryEntry]:
    return [
        InventoryEntry(
            app,
            ResourceKey("local.kedge.dev/v1", "File", f"file-{n:05d}"),
            Identity("local", "default", "File", f"/srv/{app}/file-{n:05d}"),
            spec={"path": f"/srv/{app}/file-{n:05d}", "content": "hello", "mode": "0644"},
            labels={"team": "bench"},
        )
        for n in range(N)
    ]


def test_ten_thousand_inventory_rows_take_under_a_second(tmp_path: Path) -> None:
    batch = entries()
    with Store.open(str(tmp_path / "state.db")) as store:
        started = time.perf_counter()
        store.put_inventory_many(batch)
        first = time.perf_counter() - started
        started = time.perf_counter()
        store.put_inventory_many(batch)  # every row an update this time
        again = time.perf_counter() - started
        stored = store.inventory("bench")
    assert first < 1.0 and again < 1.0, (first, again)
    assert len(stored) == N and stored[0] == batch[0] and stored[-1] == batch[-1]


def test_ten_thousand_intents_round_trip_in_batches(tmp_path: Path) -> None:
    batch = entries()
    with Store.open(str(tmp_path / "state.db")) as store:
        started = time.perf_counter()
        ids = store.add_intents("bench", [(e.key, e.identity, e.spec) for e in batch])
        store.put_inventory_many(batch, clear_intents=ids)
        elapsed = time.perf_counter() - started
        assert store.intents("bench") == []
        assert len(store.owners(e.identity for e in batch)) == N
    assert elapsed < 2.0, elapsed
