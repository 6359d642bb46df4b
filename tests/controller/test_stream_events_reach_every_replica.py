"""An event published on one replica reaches the stream subscribers of another replica of the
same PostgreSQL store, once, and is not echoed back to its origin."""

from __future__ import annotations

import pytest

from kedge.controller.protocol import StreamEvent
from kedge.controller.relay import CHANNEL, SharedBus
from kedge.store import Store
from tests.fixtures.pg import PgCluster, unique_name


@pytest.mark.postgres
def test_an_event_crosses_to_the_other_replica_once(pg_cluster: PgCluster) -> None:
    url = pg_cluster.url(pg_cluster.create_database(unique_name("relay_")))
    with Store.open(url) as a_store, Store.open(url) as b_store:
        a, b = SharedBus(a_store, "a"), SharedBus(b_store, "b")
        listeners = [
            a_store.listener([CHANNEL], lambda _c, p: a.receive(p)),
            b_store.listener([CHANNEL], lambda _c, p: b.receive(p)),
        ]
        try:
            for listener in listeners:
                assert listener is not None and listener.ready.wait(10)
            on_a, on_b = a.subscribe(), b.subscribe()
            a.publish(StreamEvent("sync", "web", {"revision": "abc", "ok": True}))
            a.publish(StreamEvent("app", "web", {"status": {"message": "x" * 9000}}))
            got_b = []
            for event in on_b.events(timeout=10):
                got_b.append(event)
                if len(got_b) == 2:
                    break
            assert [(e.type, e.app) for e in got_b] == [("sync", "web"), ("app", "web")]
            b.publish(StreamEvent("drift", "api", {}))  # reaches a after a's own notifications
            assert got_b[0].data == {"revision": "abc", "ok": True}
            assert got_b[1].data == {"truncated": True}, "too big to notify: announced without data"
            seen_a = []
            for event in on_a.events(timeout=10):
                seen_a.append((event.type, event.app))
                if event.type == "drift":
                    break
            assert seen_a == [("sync", "web"), ("app", "web"), ("drift", "api")], "no echo of a's own events"
        finally:
            for listener in listeners:
                if listener is not None:
                    listener.stop()


def test_malformed_notifications_are_ignored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with Store.open(str(tmp_path / "s.db")) as store:
        bus = SharedBus(store, "a")
        sub = bus.subscribe()
        bus.receive("not json")
        bus.receive('{"origin": "b"}')
        bus.receive('{"origin": "b", "type": "sync", "app": "web", "data": {}}')
        assert [(e.type, e.app) for e in sub.events(timeout=0.5)] == [("sync", "web")]
