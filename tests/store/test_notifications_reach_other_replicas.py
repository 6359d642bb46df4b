"""On PostgreSQL a replica's ``notify`` reaches every other replica's listener; a payload too
big for NOTIFY is not sent (the receivers read the tables instead); SQLite has no listener."""

from __future__ import annotations

import queue

import pytest

from kedge.store import Store


def test_a_notification_reaches_a_listener_on_another_handle(db_url: str) -> None:
    with Store.open(db_url) as sender, Store.open(db_url) as receiver:
        got: queue.Queue[tuple[str, str]] = queue.Queue()
        listener = receiver.listener(["kedge_test"], lambda channel, payload: got.put((channel, payload)))
        if sender.dialect == "sqlite":
            assert listener is None
            assert sender.notify("kedge_test", "x") is False
            return
        assert listener is not None
        try:
            assert listener.ready.wait(10), "the listener connects"
            assert sender.notify("kedge_test", '{"app": "web"}')
            assert got.get(timeout=10) == ("kedge_test", '{"app": "web"}')
            assert sender.notify("kedge_test", "x" * 9000) is False
            assert sender.notify("kedge_test", "after")
            assert got.get(timeout=10) == ("kedge_test", "after"), "the oversized one was never sent"
        finally:
            listener.stop()


@pytest.mark.postgres
def test_the_listener_survives_a_failing_callback(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("notifications exist on PostgreSQL only")
    with Store.open(db_url) as store:
        got: queue.Queue[str] = queue.Queue()

        def callback(channel: str, payload: str) -> None:
            if payload == "bad":
                raise RuntimeError("a bug in a handler")
            got.put(payload)

        listener = store.listener(["kedge_test"], callback)
        assert listener is not None
        try:
            assert listener.ready.wait(10)
            store.notify("kedge_test", "bad")
            store.notify("kedge_test", "good")
            assert got.get(timeout=10) == "good"
        finally:
            listener.stop()
