"""One ``kedge serve`` per SQLite file.

Replicas coordinate through PostgreSQL (``membership``, ``leases``); a SQLite file has no
server to coordinate through, so the first ``kedge serve`` on a file takes an exclusive lock on
``FILE.serve.lock`` and a second one is refused with a message saying so. The operating system
drops the lock when the process ends, however it ends, so a crash never leaves it behind.
The one-shot commands (``plan``, ``apply``) do not take it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from kedge.model import ConfigError
from kedge.store.base import StoreBase


class ServeLock:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = -1


class ServingStore(StoreBase):
    def lock_for_serving(self) -> ServeLock | None:
        """Make this process the only server of a SQLite file; None on PostgreSQL, where any
        number of replicas may serve. Raises ``ConfigError`` when another process serves it."""
        database = self._engine.url.database or ""
        if self.dialect != "sqlite" or database in ("", ":memory:") or database.startswith("file::memory:"):
            return None
        path = Path(f"{database}.serve.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise ConfigError(
                f"state database {database} is already served by another kedge serve (pid {holder}): "
                "a SQLite store runs a single replica; stop the other one, or run several replicas "
                "on PostgreSQL (--db postgresql://...)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        return ServeLock(fd)
