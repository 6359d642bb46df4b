"""The cache of git sources: one bare repository per repository URL, shared by every app.

Apps that follow the same repository (several paths, several branches) share one ``GitRepo``
and one bare repository under ``root``, named by the sha256 of the normalised URL, so
``https://host/org/repo`` and ``https://HOST/org/repo.git/`` are fetched once.

The first cache created also sets libgit2's process-wide network timeouts, so an unreachable
server cannot hold a reconcile for the operating system's default of minutes.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pygit2

from kedge.sources.credentials import Credentials
from kedge.sources.locations import parse_url
from kedge.sources.repo import GitRepo

CONNECT_TIMEOUT_MS = 10_000
IO_TIMEOUT_MS = 30_000


def cache_name(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class GitCache:
    """Hands out the ``GitRepo`` of a URL; the same object for the same repository."""

    def __init__(self, root: Path, *, timeout: float | None = None) -> None:
        """``timeout`` (seconds) replaces the process-wide limits: connect and each silence."""
        self.root = Path(root)
        self._lock = threading.Lock()
        self._repos: dict[str, GitRepo] = {}
        if timeout is not None:
            pygit2.settings.server_connect_timeout = max(1, int(timeout * 1000))
            pygit2.settings.server_timeout = max(1, int(timeout * 1000))
        if pygit2.settings.server_connect_timeout == 0:
            pygit2.settings.server_connect_timeout = CONNECT_TIMEOUT_MS
        if pygit2.settings.server_timeout == 0:
            pygit2.settings.server_timeout = IO_TIMEOUT_MS

    def source(self, url: str, credentials: Credentials | None = None) -> GitRepo:
        """The repository at ``url``; ``ConfigError`` when the URL is refused.

        Credentials given here replace the ones the repository had: the newest configuration
        of an app wins, as it does for every other setting.
        """
        location = parse_url(url)
        with self._lock:
            repo = self._repos.get(location.key)
            if repo is None:
                repo = GitRepo(location, self.root / cache_name(location.key), credentials)
                self._repos[location.key] = repo
            elif credentials is not None and credentials != repo.credentials:
                repo.credentials = credentials
            return repo

    def __len__(self) -> int:
        return len(self._repos)
