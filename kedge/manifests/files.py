"""Find and read the manifest files under a path, within limits.

- ``*.yaml`` and ``*.yml`` files, recursively, in sorted order of their path relative to the
  root, so loading is deterministic;
- hidden files and directories (``.git``, ``.kedge``) are skipped;
- a symlink is followed only when its target stays inside the root; one that leaves it is
  refused with a diagnostic. A file reached twice (through a link) is read once;
- a file larger than ``MAX_FILE_BYTES`` is refused; once ``MAX_APP_BYTES`` have been read,
  the remaining files are refused with one diagnostic; an app of more than ``MAX_FILES``
  manifest files is refused as a whole (one diagnostic), before any file is read.

Directories are walked with an explicit stack: a deep tree cannot exhaust the interpreter's
recursion limit.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from kedge.model import Diagnostic

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_APP_BYTES = 20 * 1024 * 1024
MAX_FILES = 10_000
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ManifestFile:
    name: str  # path relative to the root, with '/' separators
    path: Path  # where it was found (not resolved): relative fromFile paths start at its parent
    data: bytes


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def find_files(path: Path) -> tuple[Path, list[tuple[str, Path, Path]], list[Diagnostic]]:
    """(root, [(relative name, found path, real path)], diagnostics)."""
    diagnostics: list[Diagnostic] = []
    if not os.path.lexists(path):
        return path, [], [Diagnostic.error(f"{path} does not exist", str(path))]
    if not path.is_dir():
        root = path.parent.resolve()
        real = path.resolve()
        if not _inside(real, root):
            refused = Diagnostic.error("symlink points outside its directory; refused", path.name)
            return root, [], [refused]
        return root, [(path.name, path, real)], []
    root = path.resolve()
    found: list[tuple[str, Path, Path]] = []
    seen_dirs = {root}
    stack: list[tuple[Path, Path, str]] = [(path, root, "")]  # (as found, real, relative name)
    while stack:
        directory, real_dir, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            diagnostics.append(
                Diagnostic.error(
                    f"cannot read the directory: {exc.strerror or type(exc).__name__}", prefix or "."
                )
            )
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            name = prefix + entry.name
            here = Path(entry.path)
            is_yaml = entry.name.endswith(SUFFIXES)
            if entry.is_symlink():
                real = here.resolve()
                if not _inside(real, root):
                    if is_yaml or real.is_dir():
                        diagnostics.append(
                            Diagnostic.error("symlink points outside the manifest root; refused", name)
                        )
                    continue
                if not real.exists():
                    if is_yaml:
                        diagnostics.append(Diagnostic.error("broken symlink", name))
                    continue
                is_dir = real.is_dir()
            else:
                real = real_dir / entry.name
                is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir:
                if real not in seen_dirs:
                    seen_dirs.add(real)
                    stack.append((here, real, name + "/"))
            elif is_yaml:
                found.append((name, here, real))
    found.sort(key=lambda item: item[0])
    unique: list[tuple[str, Path, Path]] = []
    seen_files: set[Path] = set()
    for item in found:
        if item[2] not in seen_files:
            seen_files.add(item[2])
            unique.append(item)
    return root, unique, diagnostics


def read_files(path: Path) -> tuple[Path, list[ManifestFile], list[Diagnostic]]:
    """The root, the manifest files under ``path`` with their bytes, and what was refused."""
    root, found, diagnostics = find_files(path)
    if len(found) > MAX_FILES:
        message = (
            f"the app has {len(found)} manifest files; one app may hold at most {MAX_FILES}: "
            "split it into several apps"
        )
        return root, [], [*diagnostics, Diagnostic.error(message, ".")]
    files: list[ManifestFile] = []
    total = 0
    for name, here, real in found:
        try:
            info = os.stat(real)
        except OSError as exc:
            diagnostics.append(Diagnostic.error(f"cannot read: {exc.strerror or type(exc).__name__}", name))
            continue
        if not stat.S_ISREG(info.st_mode):
            diagnostics.append(Diagnostic.error("not a regular file; refused", name))
            continue
        if info.st_size > MAX_FILE_BYTES:
            diagnostics.append(
                Diagnostic.error(
                    f"file is {_mib(info.st_size)}; a manifest file may hold at most {_mib(MAX_FILE_BYTES)}: "
                    "split it",
                    name,
                )
            )
            continue
        if total + info.st_size > MAX_APP_BYTES:
            diagnostics.append(
                Diagnostic.error(
                    f"the manifests add up to more than {_mib(MAX_APP_BYTES)}, the limit for one app; "
                    "this file and the ones after it were not read: split the app",
                    name,
                )
            )
            break
        try:
            with open(real, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            diagnostics.append(Diagnostic.error(f"cannot read: {exc.strerror or type(exc).__name__}", name))
            continue
        if len(data) > MAX_FILE_BYTES:  # grew since stat
            diagnostics.append(
                Diagnostic.error(
                    f"file is larger than {_mib(MAX_FILE_BYTES)}, the limit for a manifest file: split it",
                    name,
                )
            )
            continue
        total += len(data)
        files.append(ManifestFile(name, here, data))
    return root, files, diagnostics
