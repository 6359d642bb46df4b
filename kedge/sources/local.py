"""Which local repositories and directories a server may read as sources.

A local path or ``file://`` URL as an app's ``repoURL`` reads a directory of the server's own
machine. Whoever may create an app (an admin token scoped to a few apps, or a child
``Application`` committed to a watched repository) could otherwise point one at any directory
the server can read and have its files shown in status messages. So local sources are off
unless the server's configuration lists the directories under which they are allowed
(``ServerConfig spec.localSources``); ``kedge demo`` allows its own sample repository.

The check compares real paths (symlinks followed) and answers the same whether or not the
path exists, so a refusal reveals nothing about the server's files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kedge.model import ConfigError
from kedge.sources.locations import parse_url

SETTING = "spec.localSources"


def local_path(url: str) -> str | None:
    """The directory a local ``repoURL`` names (absolute path or ``file://``), else None."""
    if url.startswith("/"):
        return url
    if url.lower().startswith("file://"):
        try:
            return parse_url(url).local_path
        except ConfigError:
            return url.removeprefix("file://")
    return None


@dataclass(frozen=True)
class LocalSources:
    """The directories under which local sources are allowed; none by default."""

    dirs: tuple[str, ...] = ()

    @classmethod
    def under(cls, dirs: Iterable[str | Path]) -> LocalSources:
        return cls(tuple(os.path.realpath(os.fspath(d)) for d in dirs))

    def allows(self, url: str) -> bool:
        path = local_path(url)
        if path is None:
            return True
        real = os.path.realpath(path)
        return any(real == d or real.startswith(d.rstrip(os.sep) + os.sep) for d in self.dirs)

    def check(self, url: str) -> None:
        """Raise ``ConfigError`` when ``url`` is a local source outside the allowed directories."""
        if self.allows(url):
            return
        raise ConfigError(
            "local repositories and file:// URLs are allowed only under the directories the "
            f"server's configuration lists in {SETTING}; this repoURL is not under one of them"
        )
