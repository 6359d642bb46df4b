"""Push-based drift detection for a local root: inotify (through watchfiles) turned into events.

A change under the root becomes ``WatchEvent(kind, external_id=<path relative to the root>)``.
The controller re-observes the resource the event names, so an event is a hint, never a state:
spurious ones (Kedge's own writes, a file touched without a change) cost one observe.

Kedge's temporary files are not reported. Nothing here changes the filesystem.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

from kedge.model import ProviderError
from kedge.providers.base import WatchEvent
from kedge.providers.local.files import TEMP_NAME
from kedge.providers.local.kinds import DIRECTORY, FILE

STEP_MS = 50  # quiet time that closes a batch of changes: the latency of an event
MAX_BATCH_MS = 500  # a stream of changes is still reported at least this often
POLL_STOP_MS = 200  # how often the watcher looks at ``stop``
MAX_LISTED = 10_000  # entries reported for one directory that appears with content


def watch_root(
    root: str, known_kind: Callable[[str], str | None], stop: threading.Event | None = None
) -> Iterator[WatchEvent]:
    """Yield events for changes under ``root`` until ``stop`` is set.

    ``known_kind`` maps a relative path to the kind it was declared as, or None when the path
    is not known; then the kind is guessed from what is on disk.
    """
    import watchfiles  # imported here: only a watching controller pays for the native module

    if not os.path.isdir(root):
        raise ProviderError(f"cannot watch {root}: the root does not exist or is not a directory")
    changes = watchfiles.watch(
        root,
        watch_filter=None,  # the default filter hides names such as *.swp that a user may manage
        debounce=MAX_BATCH_MS,
        step=STEP_MS,
        stop_event=stop,
        rust_timeout=POLL_STOP_MS,
        yield_on_timeout=False,
        raise_interrupt=False,
        recursive=True,
    )
    try:
        for batch in changes:
            seen: set[str] = set()
            for change, path in sorted(batch, key=lambda item: item[1]):
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
    except OSError as exc:
        raise ProviderError(f"watching {root} failed: {exc.strerror or exc}") from None


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
