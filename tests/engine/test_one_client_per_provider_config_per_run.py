"""Observe and apply ask for clients from pool threads at once: each ProviderConfig of a run is
connected once, and every thread gets that one client (none leaks unclosed)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from kedge.engine.observe import Connections
from kedge.engine.render import BoundConfig
from kedge.providers import registry
from kedge.providers.fake import FakeProvider


def test_concurrent_first_use_connects_once() -> None:
    fake = FakeProvider("onceconn", ["Thing", "Other"])
    registry.register(fake)
    fake.delay("connect", 0.2)  # a slow connect: every thread arrives while it is under way
    conns = Connections("app", {"default": BoundConfig("onceconn", "default", {}), "other": BoundConfig("onceconn", "other", {})})
    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda i: conns.client("default" if i % 4 else "other"), range(16)))
    assert len(fake.connections) == 2  # one per ProviderConfig
    assert len({id(c) for c in clients}) == 2
    conns.close()
