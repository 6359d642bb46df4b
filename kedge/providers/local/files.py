"""Reading and writing one file or directory inside an already opened parent directory.

Every function takes the parent's descriptor and a single name (see ``paths.Walker``) and never
follows a symbolic link. Writes are atomic: a temporary file in the same directory receives the
content, the mode and the owner mark, then ``os.replace`` puts it in place, so a reader sees the
old file or the new one, never a torn one. The owner mark is the extended attribute
``user.kedge.app`` (and ``user.kedge.claim``, ``Kind/name``, on what a claim composed);
filesystems without extended attributes simply carry no mark.

Messages name paths, never contents: a file's content may be a secret.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
import re
import stat
from dataclasses import dataclass

from kedge.model import ProviderError
from kedge.providers.local.paths import lstat_at, os_error, symlink_error

OWNER_XATTR = "user.kedge.app"
CLAIM_XATTR = "user.kedge.claim"
MAX_CONTENT = 32 * 1024 * 1024  # larger files are hashed, not held in memory as content
TEMP_NAME = re.compile(r"\.kedge-\d+-\d+\.tmp")

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_NO_XATTRS = (errno.ENOTSUP, errno.EOPNOTSUPP)
_counter = itertools.count(1)


@dataclass(frozen=True)
class FileState:
    content: str
    mode: int
    sha256: str
    owner: str | None


@dataclass(frozen=True)
class DirState:
    mode: int
    owner: str | None


def _wrong_type(value: str, st: os.stat_result, wanted: str) -> ProviderError:
    if stat.S_ISDIR(st.st_mode):
        found = "a directory"
    elif stat.S_ISREG(st.st_mode):
        found = "a regular file"
    else:
        found = "a special file (device, pipe or socket)"
    return ProviderError(
        f"{value!r} exists as {found}, not {wanted}: remove it or declare it with the right kind"
    )


def read_owner(fd: int) -> str | None:
    try:
        raw = os.getxattr(fd, OWNER_XATTR)
    except OSError as exc:
        if exc.errno in (errno.ENODATA, *_NO_XATTRS):
            return None
        raise
    return raw.decode("utf-8", "replace") or None


def write_owner(fd: int, app: str, claim: str | None = None) -> None:
    try:
        os.setxattr(fd, OWNER_XATTR, app.encode("utf-8"))
        if claim:
            os.setxattr(fd, CLAIM_XATTR, claim.encode("utf-8"))
    except OSError as exc:
        if exc.errno not in _NO_XATTRS:
            raise


def _open_existing(dir_fd: int, name: str, value: str, flags: int) -> int | None:
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        return None  # removed since the lstat: as if it had never been there
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise symlink_error(value, value) from None
        raise os_error(f"cannot open {value!r}", exc) from None


def _read_all(fd: int, size: int) -> tuple[bytes, str, int]:
    """Content (empty past ``MAX_CONTENT``), hex sha256 and length of an open file."""
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    total = 0
    want = min(size, MAX_CONTENT) + 1
    while True:
        chunk = os.read(fd, want)
        if not chunk:
            break
        digest.update(chunk)
        total += len(chunk)
        if total <= MAX_CONTENT:
            chunks.append(chunk)
        if len(chunk) < want and total >= size:
            break  # a short read of a regular file is its end
        want = 1024 * 1024
    return (b"".join(chunks) if total <= MAX_CONTENT else b""), digest.hexdigest(), total


def read_file(dir_fd: int, name: str, value: str) -> FileState | None:
    st = lstat_at(dir_fd, name, value)
    if st is None:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise _wrong_type(value, st, "a file")
    fd = _open_existing(dir_fd, name, value, _READ_FLAGS)
    if fd is None:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _wrong_type(value, st, "a file")
        data, sha, total = _read_all(fd, st.st_size)
        owner = read_owner(fd)
    except OSError as exc:
        raise os_error(f"cannot read {value!r}", exc) from None
    finally:
        os.close(fd)
    if total > MAX_CONTENT:
        content = f"(not shown: {total} bytes, more than the {MAX_CONTENT} bytes Kedge compares)"
    else:
        content = data.decode("utf-8", "surrogateescape")
    return FileState(content, stat.S_IMODE(st.st_mode), sha, owner)


def read_dir(dir_fd: int, name: str, value: str) -> DirState | None:
    st = lstat_at(dir_fd, name, value)
    if st is None:
        return None
    if not stat.S_ISDIR(st.st_mode):
        raise _wrong_type(value, st, "a directory")
    fd = _open_existing(dir_fd, name, value, _DIR_FLAGS)
    if fd is None:
        return None
    try:
        st = os.fstat(fd)
        owner = read_owner(fd)
    except OSError as exc:
        raise os_error(f"cannot read {value!r}", exc) from None
    finally:
        os.close(fd)
    return DirState(stat.S_IMODE(st.st_mode), owner)


def _make_temp(dir_fd: int) -> tuple[str, int]:
    while True:
        tmp = f".kedge-{os.getpid()}-{next(_counter)}.tmp"
        try:
            return tmp, os.open(tmp, _TEMP_FLAGS, 0o600, dir_fd=dir_fd)
        except FileExistsError:
            continue  # left by a process that had this pid before: take the next name


def write_file(
    dir_fd: int,
    name: str,
    value: str,
    data: bytes,
    mode: int,
    owner: str,
    sync: bool,
    claim: str | None = None,
) -> None:
    """Atomically make ``name`` a regular file holding ``data`` with ``mode`` and ``owner``."""
    st = lstat_at(dir_fd, name, value)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise _wrong_type(value, st, "a file")
    try:
        tmp, fd = _make_temp(dir_fd)
    except OSError as exc:
        raise os_error(f"cannot write {value!r}", exc) from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.chmod(fd, mode)
        write_owner(fd, owner, claim)
        if sync:
            os.fsync(fd)
        os.close(fd)
        fd = -1
        # rename never follows a symlink at the destination: a link swapped in after the lstat
        # above is replaced, not written through.
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        if sync:
            os.fsync(dir_fd)
    except OSError as exc:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise os_error(f"cannot write {value!r}", exc) from None


def set_attributes(
    dir_fd: int,
    name: str,
    value: str,
    *,
    directory: bool,
    mode: int | None,
    owner: str | None,
    claim: str | None = None,
) -> bool:
    """Change the mode and/or owner mark of an existing entry; False when it is missing."""
    st = lstat_at(dir_fd, name, value)
    if st is None:
        return False
    if directory != stat.S_ISDIR(st.st_mode) or not (directory or stat.S_ISREG(st.st_mode)):
        raise _wrong_type(value, st, "a directory" if directory else "a file")
    fd = _open_existing(dir_fd, name, value, _DIR_FLAGS if directory else _READ_FLAGS)
    if fd is None:
        return False
    try:
        if mode is not None:
            os.chmod(fd, mode)
        if owner is not None:
            write_owner(fd, owner, claim)
    except OSError as exc:
        raise os_error(f"cannot change {value!r}", exc) from None
    finally:
        os.close(fd)
    return True


def make_dir(dir_fd: int, name: str, value: str, mode: int, owner: str, claim: str | None = None) -> None:
    """Create directory ``name`` (or take the one there) with exactly ``mode`` and ``owner``."""
    try:
        os.mkdir(name, mode & 0o777, dir_fd=dir_fd)
    except FileExistsError:
        pass  # an existing directory is taken as it is; anything else is refused below
    except OSError as exc:
        raise os_error(f"cannot create directory {value!r}", exc) from None
    if not set_attributes(dir_fd, name, value, directory=True, mode=mode, owner=owner, claim=claim):
        raise ProviderError(f"directory {value!r} disappeared while it was being created")


def remove(dir_fd: int, name: str, value: str, *, directory: bool) -> None:
    """Delete a file or an empty directory; a missing one is already deleted."""
    st = lstat_at(dir_fd, name, value)
    if st is None:
        return
    if directory != stat.S_ISDIR(st.st_mode):
        raise _wrong_type(value, st, "a directory" if directory else "a file")
    try:
        if directory:
            os.rmdir(name, dir_fd=dir_fd)
        else:
            os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno == errno.ENOTEMPTY:
            raise ProviderError(
                f"directory not empty: {value!r}: remove its files from the app first "
                "or set deletion-policy Orphan"
            ) from None
        raise os_error(f"cannot delete {value!r}", exc) from None
