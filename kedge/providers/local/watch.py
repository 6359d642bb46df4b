"""Push-based drift detection for a local root: inotify (through watchfiles) turned into events.

A change under the root becomes ``WatchEvent(kind, external_id=<path relative to the root>)``.
The controller re-observes the resource the event names, so an event is a hint, never a state:
spurious ones (Kedge's own writes, a file touched without a change) cost one observe.

Kedge's temporary files are not reported. Nothing here changes the filesystem.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from kedge.model import ProviderError
from kedge.providers.base import WatchEvent
from kedge.providers.local.files import TEMP_NAME
from kedge.providers.local.kinds import DIRECTORY, FILE

STEP_MS = 50  # quiet time that closes a batch of changes: the latency of an event
MAX_BATCH_MS = 500  # a stream of changes is still reported at least this often
POLL_STOP_MS = 200  # how often the watcher looks at ``stop``
MAX_LISTED = 10_000  # entries reported for one directory that appears with content
RESTART_SETTLE = 0.05  # seconds to wait for more roots before (re)starting the shared watcher
RESCAN = "rescan"  # a pseudo change: the watcher restarted, look at everything again
STOP_CHECK_S = 2.0  # how often an idle subscriber looks at its stop event: 100 apps wake 50 times a second


class _Hub:
    """One watchfiles watcher for every watched root of the process.

    watchfiles' loop wakes every ``STEP_MS`` to look at its stop event, taking the GIL each
    time: a watcher per root would cost a controller with a hundred apps a noticeable share of a
    core while nothing happens. The hub watches all roots at once and hands each change to the
    subscribers whose root contains it; adding or removing a root restarts the one watcher.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[int, tuple[str, Callable[[list[tuple[Any, str]]], None]]] = {}
        self._next = 0
        self._restart = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, root: str, deliver: Callable[[list[tuple[Any, str]]], None]) -> int:
        with self._lock:
            self._next += 1
            if root not in {r for r, _ in self._subs.values()}:
                self._restart.set()
            self._subs[self._next] = (root, deliver)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="kedge-local-watch", daemon=True)
                self._thread.start()
            return self._next

    def unsubscribe(self, sid: int) -> None:
        with self._lock:
            root = self._subs.pop(sid, (None, None))[0]
            if root not in {r for r, _ in self._subs.values()}:
                self._restart.set()  # a root still watched for someone else needs no restart

    def _run(self) -> None:
        import watchfiles  # imported here: only a watching controller pays for the native module

        while True:
            time.sleep(RESTART_SETTLE)  # let a burst of subscriptions (a controller starting) settle
            with self._lock:
                roots = sorted({root for root, _ in self._subs.values() if os.path.isdir(root)})
                if not self._subs:
                    self._thread = None
                    return
                self._restart.clear()
            if not roots:
                self._restart.wait(1.0)
                continue
            # Changes made while no watcher ran are unknown: ask every subscriber to look again.
            with self._lock:
                subs = list(self._subs.values())
            for root, deliver in subs:
                deliver([(RESCAN, root)])
            try:
                for batch in watchfiles.watch(
                    *roots,
                    watch_filter=None,  # the default filter hides names such as *.swp a user may manage
                    debounce=MAX_BATCH_MS,
                    step=STEP_MS,
                    stop_event=self._restart,
                    rust_timeout=POLL_STOP_MS,
                    yield_on_timeout=False,
                    raise_interrupt=False,
                    recursive=True,
                ):
                    with self._lock:
                        subs = list(self._subs.values())
                    for root, deliver in subs:
                        mine = [(c, p) for c, p in batch if p == root or p.startswith(root + os.sep)]
                        if mine:
                            deliver(mine)
            except Exception:  # a root removed under the watcher: start again without it
                self._restart.wait(0.5)


_HUB = _Hub()


def watch_root(
    root: str, known_kind: Callable[[str], str | None], stop: threading.Event | None = None
) -> Iterator[WatchEvent]:
    """Yield events for changes under ``root`` until ``stop`` is set.

    ``known_kind`` maps a relative path to the kind it was declared as, or None when the path
    is not known; then the kind is guessed from what is on disk.
    """
    import watchfiles

    if not os.path.isdir(root):
        raise ProviderError(f"cannot watch {root}: the root does not exist or is not a directory")
    batches: queue.Queue[list[tuple[Any, str]]] = queue.Queue()
    sid = _HUB.subscribe(root, batches.put)
    try:
        while stop is None or not stop.is_set():
            try:
                batch = batches.get(timeout=STOP_CHECK_S)
            except queue.Empty:
                continue
            if batch and batch[0][0] == RESCAN:
                yield WatchEvent("", external_id=None, detail="rescan")
                continue
            seen: set[str] = set()
            for change, path in sorted(batch, key=lambda item: str(item[1])):
                paths = [path]
                if change == watchfiles.Change.added and _is_dir(path):
                    paths.extend(_entries_below(path))
                for one in paths:
                    relative = os.path.relpath(one, root)
                    if relative in seen or relative == "." or relative.startswith(".."):
                        continue
                    if TEMP_NAME.fullmatch(os.path.basename(relative)):
                        continue
                    seen.add(relative)
                    kind = known_kind(relative) or (DIRECTORY if _is_dir(one) else FILE)
                    yield WatchEvent(kind, external_id=relative, detail=change.name)
    finally:
        _HUB.unsubscribe(sid)


def _is_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


def _entries_below(path: str) -> Iterator[str]:
    """Everything inside a directory that just appeared.

    inotify watches a new directory only once it has reported it, so whatever was made inside
    it in between (``mkdir -p a/b && echo > a/b/c``) would go unnoticed; listing it closes
    that gap. Bounded: a huge tree moved in is reported through its first entries only.
    """
    count = 0
    for top, dirs, names in os.walk(path):
        for name in dirs + names:
            yield os.path.join(top, name)
            count += 1
            if count >= MAX_LISTED:
                return
