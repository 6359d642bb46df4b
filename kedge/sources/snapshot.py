"""Read an app's manifests from a commit's tree in the object database, never from a checkout.

A checkout would put the repository's symlinks on disk, where a link to ``/etc`` or to the
server's own secrets could be followed by whoever reads the files. Here the tree is walked
object by object: regular blobs named ``*.yaml``/``*.yml`` are the manifests, other small
regular blobs are kept for ``fromFile`` (a certificate, a key file beside the manifests); symlinks and
submodules are skipped with a diagnostic naming them; entry names that could not be a
relative path on disk (``..``, ``/``, NUL) are refused. Hidden files and directories are
skipped, as ``kedge.manifests.load_path`` skips them.

Limits (DESIGN section 5): a file over 2 MiB or a snapshot over 20 MiB is a ``ConfigError``
naming the file, and so is an app of more than 10,000 manifest files; sizes are read from
object headers before any content is loaded. Other files are kept up to 1 MiB each (the
``fromFile`` limit) and 20 MiB in all; beyond that they are left out with a warning.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from kedge.manifests.files import MAX_FILES
from kedge.model import ConfigError, Diagnostic

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_SNAPSHOT_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 200_000  # tree entries walked: a hostile tree cannot keep a reconcile busy
MAX_OTHER_FILE_BYTES = 1024 * 1024  # a file that fromFile can read
MAX_OTHER_BYTES = 20 * 1024 * 1024
SUFFIXES = (".yaml", ".yml")

_TREE = 0o040000
_BLOB = 0o100644
_EXECUTABLE = 0o100755
_LINK = 0o120000
_COMMIT = 0o160000


@dataclass(frozen=True)
class Snapshot:
    """The manifests of one app at one commit: relative posix path -> content."""

    commit: str
    files: Mapping[str, bytes]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    others: Mapping[str, bytes] = field(default_factory=dict)  # non-manifest files, for fromFile

    @property
    def total_bytes(self) -> int:
        return sum(len(v) for v in self.files.values())

    def materialise(self, dest: Path) -> Path:
        """Write the files under ``dest`` (which must be absent or empty) and return it.

        Only regular files are created, from names already checked to stay below ``dest``, so
        ``kedge.manifests.load_path(dest, ...)`` reads exactly what the snapshot holds.
        """
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise ConfigError(f"{dest} is not empty; a snapshot is written into a fresh directory")
        root = dest.resolve()
        for name, data in [*self.files.items(), *self.others.items()]:
            target = root.joinpath(*name.split("/"))
            if not target.is_relative_to(root) or not _safe_name(name):
                raise ConfigError(f"{name!r} is not a relative path inside the snapshot")
            target.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(target, flags, 0o644)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        return root


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return all(p not in ("", ".", "..") and "\\" not in p and "\0" not in p for p in parts)


def normalise_app_path(path: str) -> str:
    """An app's path inside the repository, as tree components joined by ``/`` ('' = root)."""
    if not isinstance(path, str):
        raise ConfigError("source path must be a string")
    if "\0" in path or "\\" in path:
        raise ConfigError(f"source path {path!r} may not contain NUL or backslashes")
    if path.startswith("/"):
        raise ConfigError(f"source path {path!r} must be relative to the repository root")
    normal = posixpath.normpath(path) if path else "."
    if normal == ".." or normal.startswith("../"):
        raise ConfigError(f"source path {path!r} leaves the repository")
    return "" if normal == "." else normal


def read_snapshot(repo: pygit2.Repository, commit: str, path: str) -> Snapshot:
    """The manifests under ``path`` of ``commit`` (a full sha present in ``repo``)."""
    app_path = normalise_app_path(path)
    short = commit[:12]
    try:
        tree = repo[commit].peel(pygit2.Tree)
    except (KeyError, ValueError, pygit2.GitError):
        raise ConfigError(f"commit {short} is not in the repository cache") from None
    where = app_path or "."
    reader = _Reader(repo, short)
    if app_path:
        mode, oid = _lookup(repo, tree, app_path, short)
        if mode in (_BLOB, _EXECUTABLE):
            name = posixpath.basename(app_path)
            if not name.endswith(SUFFIXES):
                raise ConfigError(f"source path {app_path!r} at commit {short} is not a *.yaml or *.yml file")
            reader.add_blob(name, app_path, oid)
            return reader.result(commit, where)
        tree = repo[oid].peel(pygit2.Tree)
    reader.walk(tree, app_path)
    return reader.result(commit, where)


def _lookup(repo: pygit2.Repository, tree: pygit2.Tree, app_path: str, short: str) -> tuple[int, pygit2.Oid]:
    """Walk ``app_path`` component by component; a symlink or submodule on the way is refused."""
    mode, oid = _TREE, tree.id
    walked: list[str] = []
    for part in app_path.split("/"):
        if mode != _TREE:
            above = "/".join(walked)
            raise ConfigError(
                f"source path {app_path!r} does not exist at commit {short} ({above!r} is a file)"
            )
        walked.append(part)
        here = "/".join(walked)
        entry = _entry(repo[oid].peel(pygit2.Tree), part)
        if entry is None:
            raise ConfigError(
                f"source path {app_path!r} does not exist at commit {short}; "
                "check the app's path and the branch it follows"
            )
        mode, oid = entry
        if mode == _LINK:
            raise ConfigError(f"source path {app_path!r} goes through the symlink {here!r}: never followed")
        if mode == _COMMIT:
            raise ConfigError(f"source path {app_path!r} goes through the submodule {here!r}: not read")
    return mode, oid


def _entry(tree: pygit2.Tree, name: str) -> tuple[int, pygit2.Oid] | None:
    for item in tree:
        if item.raw_name == name.encode("utf-8"):
            return int(item.filemode), item.id
    return None


class _Reader:
    def __init__(self, repo: pygit2.Repository, short: str) -> None:
        self.repo = repo
        self.short = short
        self.files: dict[str, bytes] = {}
        self.others: dict[str, bytes] = {}
        self.others_total = 0
        self.diagnostics: list[Diagnostic] = []
        self.total = 0

    def walk(self, top: pygit2.Tree, top_path: str) -> None:
        # An explicit stack: a hostile, very deep tree cannot exhaust the recursion limit.
        # Entries are visited in sorted path order, so a limit names the same file every time.
        stack: list[tuple[pygit2.Object, str]] = []
        self._push(top, "", stack)
        walked = 0
        while stack:
            item, rel = stack.pop()
            walked += 1
            if walked > MAX_ENTRIES:
                where = top_path or "."
                raise ConfigError(f"{where!r} at commit {self.short} has more than {MAX_ENTRIES} entries")
            self._entry(item, rel, top_path, stack)

    @staticmethod
    def _push(tree: pygit2.Tree, rel: str, stack: list[tuple[pygit2.Object, str]]) -> None:
        entries = sorted(tree, key=lambda e: e.raw_name or b"", reverse=True)
        stack.extend((item, rel) for item in entries)

    def _entry(
        self, item: pygit2.Object, rel: str, top_path: str, stack: list[tuple[pygit2.Object, str]]
    ) -> None:
        raw = item.raw_name or b""
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = raw.decode("utf-8", "replace")
            self._warn(posixpath.join(top_path, rel, name), "the name is not UTF-8; skipped")
            return
        in_repo = posixpath.join(top_path, rel, name) if top_path else posixpath.join(rel, name)
        if not _safe_name(name) or "/" in name:
            self._warn(in_repo, "the entry name is not a plain file name; skipped")
            return
        if name.startswith("."):
            return
        mode = int(item.filemode)
        relative = posixpath.join(rel, name) if rel else name
        if mode == _TREE:
            self._push(self.repo[item.id].peel(pygit2.Tree), relative, stack)
        elif mode == _LINK:
            self._warn(in_repo, "symlink skipped: symlinks in a source are never followed")
        elif mode == _COMMIT:
            self._warn(in_repo, "submodule skipped: submodules are not read")
        elif stat.S_ISREG(mode) and name.endswith(SUFFIXES):
            self.add_blob(relative, in_repo, item.id)
        elif stat.S_ISREG(mode):
            self.add_other(relative, in_repo, item.id)

    def add_blob(self, relative: str, in_repo: str, oid: pygit2.Oid) -> None:
        _, size = self.repo.odb.read_header(oid)
        if size > MAX_FILE_BYTES:
            raise ConfigError(
                f"{in_repo} at commit {self.short} is {size / 1048576:.1f} MiB, "
                f"over the {MAX_FILE_BYTES // 1048576} MiB limit for a manifest file"
            )
        self.total += size
        if len(self.files) >= MAX_FILES:
            raise ConfigError(
                f"the app has more than {MAX_FILES} manifest files at commit {self.short} "
                f"(limit reached at {in_repo}); split it into several apps"
            )
        if self.total > MAX_SNAPSHOT_BYTES:
            raise ConfigError(
                f"the app's manifests at commit {self.short} exceed {MAX_SNAPSHOT_BYTES // 1048576} MiB "
                f"(limit reached at {in_repo})"
            )
        self.files[relative] = self.repo[oid].peel(pygit2.Blob).data

    def add_other(self, relative: str, in_repo: str, oid: pygit2.Oid) -> None:
        _, size = self.repo.odb.read_header(oid)
        if size > MAX_OTHER_FILE_BYTES:
            return  # fromFile refuses it anyway, with its own message
        if self.others_total + size > MAX_OTHER_BYTES:
            self._warn(in_repo, f"left out: the app's other files exceed {MAX_OTHER_BYTES // 1048576} MiB")
            return
        self.others_total += size
        self.others[relative] = self.repo[oid].peel(pygit2.Blob).data

    def _warn(self, in_repo: str, message: str) -> None:
        self.diagnostics.append(Diagnostic.warning(message, in_repo))

    def result(self, commit: str, where: str) -> Snapshot:
        if not self.files:
            self.diagnostics.append(
                Diagnostic.warning(f"no *.yaml or *.yml files under {where!r} at commit {self.short}", where)
            )
        files = dict(sorted(self.files.items()))
        return Snapshot(commit=commit, files=files, diagnostics=self.diagnostics, others=self.others)
