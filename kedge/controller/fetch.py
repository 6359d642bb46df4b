"""Where an app's manifests come from: a git repository (through ``kedge.sources``) or, for a
local directory that is not a repository, the directory itself.

Git trees are read from the object database and written as regular files into a fresh
temporary directory, so no symlink from the repository can lead the loader outside it.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from kedge.controller.spec import AppSpec
from kedge.model import ConfigError, Diagnostic
from kedge.sources import GitCache, VerifyPolicy, VerifyResult


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
    temporary: bool = False

    def cleanup(self) -> None:
        if self.temporary:
            shutil.rmtree(self.directory, ignore_errors=True)


def is_plain_directory(url: str) -> bool:
    path = Path(url.removeprefix("file://"))
    if not url.startswith(("/", "file://", ".")) or not path.is_dir():
        return False
    return not ((path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir()))


class Sources:
    def __init__(self, cache_root: Path) -> None:
        self.git = GitCache(cache_root)
        self.requests = 0
        self._lock = threading.Lock()

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def head(self, spec: AppSpec) -> str:
        """The revision the source points at now, as cheaply as possible (no fetch, no fork)."""
        if is_plain_directory(spec.repo_url):
            return _fingerprint(Path(spec.repo_url.removeprefix("file://")) / spec.path)
        self._count()
        return self.git.source(spec.repo_url).remote_head(spec.target_revision)

    def fetch(self, spec: AppSpec, revision: str | None = None) -> Fetched:
        """Make the manifests of ``revision`` (default: the spec's target) readable from disk."""
        if is_plain_directory(spec.repo_url):
            directory = Path(spec.repo_url.removeprefix("file://")) / spec.path
            if not directory.is_dir():
                raise ConfigError(f"source path {spec.path!r} does not exist in {spec.repo_url}")
            return Fetched(_fingerprint(directory), directory)
        repo = self.git.source(spec.repo_url)
        self._count()
        # resolve() checks the remote's head cheaply and fetches only what the cache lacks.
        commit = repo.resolve(revision or spec.target_revision)
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
        return Fetched(commit, directory, info.message, tuple(snapshot.diagnostics), temporary=True)

    def verify(self, spec: AppSpec, commit: str) -> VerifyResult:
        """Whether ``commit`` is signed by a key the app's ``source.verify`` trusts."""
        policy = VerifyPolicy.from_spec(spec.verify)
        if is_plain_directory(spec.repo_url):
            raise ConfigError("source.verify needs a git repository: a plain directory has no signatures")
        return self.git.source(spec.repo_url).verify(commit, policy)

    def is_ancestor(self, spec: AppSpec, old: str, new: str) -> bool:
        if is_plain_directory(spec.repo_url) or old.startswith("dir:"):
            return True
        return self.git.source(spec.repo_url).is_ancestor(old, new)


def _fingerprint(directory: Path) -> str:
    """A revision for a plain directory: changes whenever a manifest's size or mtime does."""
    digest = hashlib.sha256()
    if directory.is_dir():
        for path in sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml")):
            if any(part.startswith(".") for part in path.relative_to(directory).parts):
                continue
            stat = path.stat()
            digest.update(f"{path.relative_to(directory)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return "dir:" + digest.hexdigest()[:12]
