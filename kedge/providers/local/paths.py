"""Paths under a local root: checked as text, then opened one component at a time.

A ``spec.path`` is relative to the ProviderConfig's ``root``. ``parse_path`` refuses what could
leave the root on paper (absolute paths, ``..``, NUL bytes, empty paths) and spellings that would
give one file two identities (``./a``, ``a//b``, ``a/``). ``Walker`` then opens the parent
directories with ``openat``-style calls and ``O_NOFOLLOW``, so a symbolic link anywhere below the
root is refused at the moment of the operation, not only at validation: a link that appears
between plan and apply cannot redirect a write outside the root.

The root itself may sit behind a symlink (``/tmp`` on some systems): it is the operator's choice,
not the manifest's. Everything below it is the manifest's, and there symlinks are refused
outright, pointing inside or outside alike: the simplest rule that is safe.

Not for: reading or writing files (``files``), nor deciding what to change (``client``).
"""

from __future__ import annotations

import errno
import os
import stat
from types import TracebackType
from typing import Any

from kedge.model import ConfigError, Diagnostic, ProviderError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_ROOT_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
PARENT_MODE = 0o755

Parts = tuple[str, ...]


def path_error(value: object, problem: str, field: str = "spec.path") -> ConfigError:
    message = f"{field}: {value!r} {problem}"
    return ConfigError(message, [Diagnostic.error(f"{value!r} {problem}", path=field)])


def parse_path(value: Any, field: str = "spec.path") -> Parts:
    """Split a relative path into its components, or raise ``ConfigError`` naming ``field``."""
    if not isinstance(value, str):
        raise path_error(value, "must be a string", field)
    if not value:
        raise path_error(value, "is empty: name a file or directory under the root", field)
    if "\0" in value:
        raise path_error(value, "contains a NUL byte", field)
    if value.startswith("/"):
        raise path_error(value, "is absolute: write it relative to the ProviderConfig's root", field)
    parts = tuple(value.split("/"))
    if ".." in parts:
        raise path_error(value, "contains '..': paths must stay inside the root", field)
    if any(p in ("", ".") for p in parts):
        clean = "/".join(p for p in parts if p not in ("", "."))
        hint = f": write {clean!r}" if clean else ""
        raise path_error(value, f"has empty or '.' components{hint}", field)
    return parts


def symlink_error(value: str, component: str) -> ConfigError:
    where = "is" if component == value else f"goes through {component!r}, which is"
    return path_error(value, f"{where} a symbolic link: symbolic links inside the root are refused")


def os_error(what: str, exc: OSError) -> ProviderError:
    """A provider error for a failed system call; never carries file contents."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ProviderError(f"{what}: permission denied")
    reason = exc.strerror or type(exc).__name__
    return ProviderError(f"{what}: {reason}")


def lstat_at(dir_fd: int, name: str, value: str) -> os.stat_result | None:
    """``lstat`` of ``name`` in ``dir_fd``; None when it does not exist; symlinks refused."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_error(f"cannot inspect {value!r}", exc) from None
    if stat.S_ISLNK(st.st_mode):
        raise symlink_error(value, value)
    return st


def open_root(root: str, create: bool) -> int | None:
    """A descriptor of the root; None when it is missing and ``create`` is false."""
    try:
        return os.open(root, _ROOT_FLAGS)
    except FileNotFoundError:
        if not create:
            return None
    except OSError as exc:
        raise os_error(f"cannot open the root {root}", exc) from None
    try:
        os.makedirs(root, PARENT_MODE, exist_ok=True)
        return os.open(root, _ROOT_FLAGS)
    except OSError as exc:
        raise os_error(f"cannot create the root {root}", exc) from None


def open_child(dir_fd: int, parts: Parts, value: str, create: bool) -> int | None:
    """A descriptor of directory ``parts[-1]`` inside ``dir_fd``, never through a symlink.

    None when it is missing or not a directory and ``create`` is false (observe reads both as
    "does not exist"); with ``create`` a missing one is made and anything else is an error.
    """
    name = parts[-1]
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        if not create:
            return None
    except OSError as exc:
        shown = "/".join(parts)
        if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
            raise os_error(f"cannot open directory {shown!r} for {value!r}", exc) from None
        try:
            st: os.stat_result | None = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            st = None
        if st is not None and stat.S_ISLNK(st.st_mode):
            raise symlink_error(value, shown) from None
        if not create:
            return None
        raise ProviderError(f"cannot create {value!r}: {shown!r} exists and is not a directory") from None
    return _make_child(dir_fd, name, "/".join(parts), value)


def _make_child(dir_fd: int, name: str, shown: str, value: str) -> int:
    try:
        os.mkdir(name, PARENT_MODE, dir_fd=dir_fd)
        made = True
    except FileExistsError:
        made = False  # created by someone else meanwhile: open it, still without following
    except OSError as exc:
        raise os_error(f"cannot create directory {shown!r} for {value!r}", exc) from None
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):
            raise symlink_error(value, shown) from None
        raise os_error(f"cannot open directory {shown!r} for {value!r}", exc) from None
    if made:
        os.chmod(fd, PARENT_MODE)  # the umask must not decide the mode of what Kedge makes
    return fd


def open_parent(root: str, parts: Parts, value: str, *, create: bool = False) -> int | None:
    """The descriptor of the directory holding ``parts[-1]`` (the caller closes it), or None."""
    fd = open_root(root, create)
    for depth in range(1, len(parts)):
        if fd is None:
            return None
        try:
            child = open_child(fd, parts[:depth], value, create)
        finally:
            os.close(fd)
        fd = child
    return fd


class Walker:
    """Opens parent directories under one root, caching their descriptors for one batch.

    Use as a context manager; every descriptor it opened is closed on exit. ``parent`` returns
    the descriptor of the directory holding ``parts[-1]``, or None when a component is missing
    or is not a directory (see ``open_child``).
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self._fds: dict[Parts, int | None] = {}

    def __enter__(self) -> Walker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._fds.values():
            if fd is not None:
                os.close(fd)
        self._fds.clear()

    def parent(self, parts: Parts, value: str) -> int | None:
        return self._dir(parts[:-1], value)

    def _dir(self, parts: Parts, value: str) -> int | None:
        if parts in self._fds:
            return self._fds[parts]
        if not parts:
            fd = open_root(self.root, create=False)
        else:
            above = self._dir(parts[:-1], value)
            fd = None if above is None else open_child(above, parts, value, create=False)
        self._fds[parts] = fd
        return fd
