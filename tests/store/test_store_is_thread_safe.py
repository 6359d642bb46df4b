"""One Store shared by a thread pool: concurrent writers neither fail nor lose a row."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from kedge.store import Store

from .conftest import file_entry, file_key


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    def work(n: int) -> int:
        app = f"app{n % 4}"
        intent = store.add_intent(app, file_key(f"f{n}"), file_entry(app, f"f{n}").identity, {})
        store.put_inventory(file_entry(app, f"f{n}"), clear_intent=intent)
        run_id = store.start_run(app, revision=str(n), trigger="auto", actor="controller")
        store.record_result(run_id, file_key(f"f{n}"), "create", "succeeded")
        store.finish_run(run_id, "succeeded", summary={"create": 1})
        return len(store.inventory(app))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(80)))

    for a in range(4):
        app = f"app{a}"
        assert sorted(e.key.name for e in store.inventory(app)) == sorted(f"f{n}" for n in range(a, 80, 4))
        assert store.intents(app) == []
        assert [r.result for r in store.runs(app)] == ["succeeded"] * 20
