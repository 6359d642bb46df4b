"""An edit made behind Kedge's back shows up as a watch event within a second, named by the
resource's kind and its path relative to the root."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kedge.model import ProviderError
from kedge.providers.base import ConnectContext, WatchEvent
from kedge.providers.local import LocalClient, provider

from .conftest import APP, dir_target, file_target

DEADLINE = 1.0


@pytest.fixture
def events(client: LocalClient, root: Path) -> Iterator[queue.Queue[WatchEvent]]:
    """Start ``client.watch`` in a thread and wait until it demonstrably sees changes."""
    out: queue.Queue[WatchEvent] = queue.Queue()
    stop = threading.Event()

    def run() -> None:
        for event in client.watch(stop):
            out.put(event)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    probe = root / "probe"
    deadline = time.monotonic() + 5
    ready = False
    while not ready and time.monotonic() < deadline:  # the watch starts asynchronously
        probe.write_text(str(time.monotonic()))
        try:
            while not ready:
                ready = out.get(timeout=0.2).external_id == "probe"
        except queue.Empty:
            pass
    assert ready, "the watch never started"
    probe.unlink()
    time.sleep(0.15)  # let the probe's own events pass
    while not out.empty():
        out.get()
    yield out
    stop.set()
    thread.join(timeout=6)  # an idle watch looks at its stop flag every 2 s
    assert not thread.is_alive(), "the watch did not stop when asked"


def _next_for(events: queue.Queue[WatchEvent], external_id: str) -> tuple[WatchEvent, float]:
    start = time.monotonic()
    while True:
        left = start + DEADLINE - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no event for {external_id!r} within {DEADLINE} s")
        try:
            event = events.get(timeout=left)
        except queue.Empty:
            continue
        if event.external_id == external_id:
            return event, time.monotonic() - start


def test_out_of_band_edit_yields_an_event(
    client: LocalClient, root: Path, events: queue.Queue[WatchEvent]
) -> None:
    target = file_target("conf/app.ini", "v1")
    client.create(target)
    client.observe_many("File", [target])
    _next_for(events, "conf/app.ini")  # Kedge's own write is seen too: harmless, one observe

    (root / "conf" / "app.ini").write_text("edited by hand")
    event, took = _next_for(events, "conf/app.ini")
    assert event.kind == "File"
    assert took < DEADLINE


def test_files_made_with_a_new_directory_are_reported(root: Path, events: queue.Queue[WatchEvent]) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "c.txt").write_text("made before any watch on a/b existed")
    event, _ = _next_for(events, "a/b/c.txt")
    assert event.kind == "File"


def test_out_of_band_delete_and_chmod_yield_events(
    client: LocalClient, root: Path, events: queue.Queue[WatchEvent]
) -> None:
    client.create(dir_target("data"))
    client.create(file_target("data/a.txt", "x"))
    _next_for(events, "data/a.txt")
    os.chmod(root / "data", 0o700)
    event, _ = _next_for(events, "data")
    assert event.kind == "Directory"
    (root / "data" / "a.txt").unlink()
    event, _ = _next_for(events, "data/a.txt")
    assert event.kind == "File"


def test_kedge_temporary_files_are_not_reported(
    client: LocalClient, root: Path, events: queue.Queue[WatchEvent]
) -> None:
    for i in range(5):
        client.create(file_target(f"t{i}.txt", str(i), name=f"t{i}"))
    expected = {f"t{i}.txt" for i in range(5)}
    seen: set[str] = set()
    deadline = time.monotonic() + DEADLINE
    while not expected <= seen and time.monotonic() < deadline:
        try:
            seen.add(events.get(timeout=0.1).external_id or "")
        except queue.Empty:
            pass
    time.sleep(0.2)  # anything else of the same writes has arrived by now
    while not events.empty():
        seen.add(events.get().external_id or "")
    assert expected <= seen
    assert not [s for s in seen if ".kedge-" in s], seen


def test_watching_a_missing_root_is_an_error(tmp_path: Path) -> None:
    client = provider.connect({"root": str(tmp_path / "missing")}, ConnectContext(app=APP))
    with pytest.raises(ProviderError, match="does not exist"):
        next(client.watch(threading.Event()))
