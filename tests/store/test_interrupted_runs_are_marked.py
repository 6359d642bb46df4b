"""After a kill -9, what the dead process was doing is still on record: its unfinished run is
named ``interrupted`` at the next start, and its create intents are there to be observed."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from kedge.store import INTERRUPTED, RUNNING, Store

from .conftest import file_entry, file_identity, file_key

CRASHING_APPLY = textwrap.dedent(
    """
    import os, signal, sys
    from kedge.model import Identity, InventoryEntry, ResourceKey
    from kedge.store import Store

    store = Store.open(sys.argv[1])
    run = store.start_run("web", revision="abc", trigger="manual", actor="ann")
    done = ResourceKey("local.kedge.dev/v1", "File", "done")
    done_id = Identity("local", "default", "File", "/done")
    intent = store.add_intent("web", done, done_id, {"path": "/done"})
    store.put_inventory(InventoryEntry("web", done, done_id, {"path": "/done"}), clear_intent=intent)
    store.record_result(run, done, "create", "succeeded")
    store.add_intent("web", ResourceKey("local.kedge.dev/v1", "File", "half"),
                     Identity("local", "default", "File", "/half"), {"path": "/half"})
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_killed_apply_leaves_its_intent_and_an_interrupted_run(db_url: str) -> None:
    died = subprocess.run([sys.executable, "-c", CRASHING_APPLY, db_url], capture_output=True, text=True)
    assert died.returncode == -signal.SIGKILL, died.stderr

    with Store.open(db_url) as store:
        [run] = store.runs("web")
        assert run.result == RUNNING and run.finished_at is None

        assert store.mark_interrupted_runs() == 1
        assert store.mark_interrupted_runs() == 0

        run = store.run(run.id)  # type: ignore[assignment]
        assert run is not None and run.result == INTERRUPTED
        assert [(r.key, r.result) for r in run.results] == [(file_key("done"), "succeeded")]
        assert [e.key for e in store.inventory("web")] == [file_key("done")]
        [intent] = store.intents("web")
        assert (intent.key, intent.identity) == (file_key("half"), file_identity("/half"))


def test_finished_runs_are_left_alone_and_apps_can_be_chosen(store: Store) -> None:
    finished = store.start_run("web", revision="a", trigger="manual", actor="ann")
    store.finish_run(finished, "succeeded")
    web = store.start_run("web", revision="b", trigger="manual", actor="ann")
    api = store.start_run("api", revision="c", trigger="manual", actor="ann")

    assert store.mark_interrupted_runs(apps=["web"]) == 1
    assert [store.run(i).result for i in (finished, web, api)] == ["succeeded", INTERRUPTED, RUNNING]  # type: ignore[union-attr]
    assert store.mark_interrupted_runs() == 1
    assert store.run(api).result == INTERRUPTED  # type: ignore[union-attr]
    assert store.run(api).message  # type: ignore[union-attr]


def test_a_process_killed_in_the_middle_of_a_batch_leaves_none_of_it(db_url: str) -> None:
    """Each write is one transaction: a batch is either all in the inventory or not at all."""
    script = textwrap.dedent(
        """
        import os, signal, sys, threading
        from kedge.model import Identity, InventoryEntry, ResourceKey
        from kedge.store import Store

        store = Store.open(sys.argv[1])
        entries = [InventoryEntry("web", ResourceKey("local.kedge.dev/v1", "File", f"f{n}"),
                                  Identity("local", "default", "File", f"/f{n}"), {"n": n})
                   for n in range(20000)]
        threading.Timer(0.05, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
        while True:
            store.put_inventory_many(entries)
            store.remove_inventory_many("web", [e.key for e in entries])
        """
    )
    died = subprocess.run([sys.executable, "-c", script, db_url], capture_output=True, text=True)
    assert died.returncode == -signal.SIGKILL, died.stderr
    with Store.open(db_url) as store:
        assert len(store.inventory("web")) in (0, 20000)
        store.put_inventory(file_entry("web", "after"))  # the database is usable afterwards
