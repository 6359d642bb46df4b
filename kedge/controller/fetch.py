"""Where an app's manifests come from: a git repository (through ``kedge.sources``) or, for a
local directory that is not a repository, the directory itself.

Git trees are read from the object database and written as regular files into a fresh
temporary directory, so no symlink from the repository can lead the loader outside it.

Local repositories and directories are read only under the server's ``spec.localSources``
(``LocalSources``). Network operations are bounded twice: libgit2 gives up after ``timeout``
seconds of silence, and a caller stops waiting after ``deadline`` seconds in all (a host that
drips a byte now and then defeats the first bound; the operation then finishes or times out in
a thread of its own). A host that stopped answering is not asked again by a worker during its
cool-down (``HostHealth``): the poller alone keeps probing it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from kedge.controller.spec import AppSpec
from kedge.model import ConfigError, Diagnostic, TemporaryError
from kedge.sources import GitCache, GitRepo, LocalSources, VerifyPolicy, VerifyResult, parse_url
from kedge.sources.hosts import HostHealth, host_of

T = TypeVar("T")
DEADLINE = 300.0  # seconds one network operation (a fetch of a large history included) may take


def in_daemon_thread(call: Callable[..., T], *args: object, name: str = "kedge-git") -> Future[T]:
    """Run ``call(*args)`` in a daemon thread of its own: one that never returns (a host that
    drips bytes) is given up on by its caller and cannot hold the process at exit."""
    future: Future[T] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(call(*args))
        except BaseException as exc:  # handed to the waiting caller
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


class SourceInvalid(ConfigError):
    """The source cannot be used at a known commit (its app path is gone): ``revision`` says which."""

    def __init__(self, message: str, revision: str) -> None:
        super().__init__(message)
        self.revision = revision


@dataclass
class Fetched:
    revision: str
    directory: Path
    message: str = ""
    diagnostics: tuple[Diagnostic, ...] = ()
    directory_is_temporary: bool = False  # cleanup removes it

    def cleanup(self) -> None:
        if self.directory_is_temporary:
            shutil.rmtree(self.directory, ignore_errors=True)


def is_plain_directory(url: str) -> bool:
    path = Path(url.removeprefix("file://"))
    if not url.startswith(("/", "file://", ".")) or not path.is_dir():
        return False
    return not ((path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir()))


class Sources:
    def __init__(
        self,
        cache_root: Path,
        local: LocalSources | None = None,
        *,
        timeout: float | None = None,
        health: HostHealth | None = None,
        deadline: float = DEADLINE,
    ) -> None:
        self.git = GitCache(cache_root, timeout=timeout)
        self.deadline = deadline
        self.local = local or LocalSources()
        self.health = health or HostHealth()
        self.requests = 0
        self._lock = threading.Lock()

    def host(self, spec: AppSpec) -> str | None:
        """The network host of the app's source; None for a local one."""
        try:
            return host_of(parse_url(spec.repo_url))
        except ConfigError:
            return None

    def _repo(self, spec: AppSpec) -> GitRepo:
        self.local.check(spec.repo_url)
        return self.git.source(spec.repo_url)

    def _network(self, spec: AppSpec, probe: bool, call: Callable[[GitRepo], T]) -> T:
        """``call`` on the app's repository, minding (and updating) the host's health."""
        repo = self._repo(spec)
        host = host_of(repo.location)
        if not probe:
            self.health.check(host)
        if host is None:
            return call(repo)
        try:
            result = in_daemon_thread(call, repo).result(timeout=self.deadline)
        except FutureTimeout:
            message = f"{repo.display_url} did not finish within {self.deadline:.0f}s; gave up waiting"
            self.health.failed(host, message)
            raise TemporaryError(message) from None
        except TemporaryError as err:
            self.health.failed(host, str(err))
            raise
        self.health.answered(host)
        return result

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def head(self, spec: AppSpec, *, probe: bool = False) -> str:
        """The revision the source points at now, as cheaply as possible (no fetch, no fork).

        ``probe`` (the poller) asks even a host in its cool-down: its answer ends the cool-down.
        """
        if is_plain_directory(spec.repo_url):
            self.local.check(spec.repo_url)
            return _fingerprint(Path(spec.repo_url.removeprefix("file://")) / spec.path)
        self._count()
        return self._network(spec, probe, lambda repo: repo.remote_head(spec.target_revision))

    def fetch(self, spec: AppSpec, revision: str | None = None) -> Fetched:
        """Make the manifests of ``revision`` (default: the spec's target) readable from disk."""
        if is_plain_directory(spec.repo_url):
            self.local.check(spec.repo_url)
            directory = Path(spec.repo_url.removeprefix("file://")) / spec.path
            if not directory.is_dir():
                raise ConfigError(f"source path {spec.path!r} does not exist in {spec.repo_url}")
            return Fetched(_fingerprint(directory), directory)
        self._count()
        # resolve() checks the remote's head cheaply and fetches only what the cache lacks.
        commit = self._network(spec, False, lambda repo: repo.resolve(revision or spec.target_revision))
        repo = self._repo(spec)
        try:
            snapshot = repo.snapshot(commit, spec.path)
        except ConfigError as err:
            raise SourceInvalid(str(err), commit) from err
        directory = Path(tempfile.mkdtemp(prefix="kedge-src-"))
        try:
            snapshot.materialise(directory)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        info = repo.commit_info(commit)
        return Fetched(
            commit, directory, info.message, tuple(snapshot.diagnostics), directory_is_temporary=True
        )

    def verify(self, spec: AppSpec, commit: str) -> VerifyResult:
        """Whether ``commit`` is signed by a key the app's ``source.verify`` trusts."""
        policy = VerifyPolicy.from_spec(spec.verify)
        if is_plain_directory(spec.repo_url):
            raise ConfigError("source.verify needs a git repository: a plain directory has no signatures")
        return self._repo(spec).verify(commit, policy)

    def is_ancestor(self, spec: AppSpec, old: str, new: str) -> bool:
        if is_plain_directory(spec.repo_url) or old.startswith("dir:"):
            return True
        return self._repo(spec).is_ancestor(old, new)


def _fingerprint(directory: Path) -> str:
    """A revision for a plain directory: changes whenever a file's size or mtime does.

    Symlinks are not followed (a dangling one counts by its own entry) and a file that
    vanishes during the walk is simply not counted: the walk never fails on what it finds.
    """
    digest = hashlib.sha256()
    for top, dirs, files in os.walk(directory, onerror=lambda _: None):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(f for f in files if not f.startswith(".")):
            path = os.path.join(top, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            relative = os.path.relpath(path, directory)
            digest.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return "dir:" + digest.hexdigest()[:12]
