"""Remove temporary files that a killed Kedge process left under a local root.

Files are written to ``.kedge-PID-N.tmp`` beside their destination and renamed into place, so
a ``kill -9`` between the two leaves the temporary file behind. Such a file is Kedge's own
debris, never a managed object: the next client of that root removes those whose process is
gone (a live process may still be writing its own). Roots are swept at most once per
``SWEEP_INTERVAL`` in one process, so a large tree is not walked on every reconcile.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from kedge.providers.local.files import TEMP_NAME

SWEEP_INTERVAL = 600.0  # seconds

_swept: dict[str, float] = {}
_lock = threading.Lock()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


def sweep(root: str, clock: Callable[[], float] = time.monotonic) -> list[str]:
    """Remove stale temporary files under ``root`` (not more than once per interval); returns
    the paths removed. Errors are ignored: a file that cannot be removed stays until next time."""
    now = clock()
    with _lock:
        last = _swept.get(root)
        if last is not None and now - last < SWEEP_INTERVAL:
            return []
        _swept[root] = now
    removed: list[str] = []
    for directory, _dirs, files in os.walk(root):  # never follows symlinks
        for name in files:
            if not TEMP_NAME.fullmatch(name) or _alive(int(name.split("-")[1])):
                continue
            path = os.path.join(directory, name)
            try:
                os.unlink(path)
            except OSError:
                continue
            removed.append(path)
    return removed
