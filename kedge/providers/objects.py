"""Copy every object of one bucket or container to another, across clouds: streamed, parallel,
verified, resumable.

    report = copy_objects(source, target, workers=8)
    report.ok, report.copied, report.skipped, report.failed, report.bytes, report.method

``source`` and ``target`` are ``ObjectStore`` adapters: each provider offers one for its own
storage kind (``S3Objects``, ``BlobObjects``, ``GcsObjects``) so this module imports no
provider, and the engine wires a migration together from two connected clients.

How an object is verified. The copier streams the source in chunks (never a whole object in
memory), computing MD5 and CRC32C of the bytes as they pass. The source's own checksum, where it
has one (an S3 single-part ETag, an Azure Content-MD5, GCS's MD5 or CRC32C), is checked against
what was read; the target's checksum after the write is checked against what was sent, with the
algorithm the target keeps (``Verifier``): GCS reports CRC32C for every object, Azure keeps the
Content-MD5 the copier sets, S3's ETag is the MD5 of a single-part upload or the MD5 of the part
MD5s of a multipart one, both computable from the stream. Sizes must match too. A target object
that fails its check is deleted, so nothing unverified is left to be mistaken for a copy.

Resuming. An object is skipped when its target copy exists with the same size and either an
equal checksum of an algorithm both sides report, or the source object is unchanged (same
size and checksums) since an earlier run verified it: ``CopyReport.verified`` lists the source
objects verified by a run, and the caller passes them back as ``verified=`` (the engine keeps
them with the migration). A re-run copies only what is missing, changed or unverified.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import google_crc32c

CHUNK = 8 * 1024 * 1024  # bytes per streamed read and per uploaded part


@dataclass(frozen=True)
class ObjectInfo:
    """One object as a store lists it. ``checksums``: algorithm -> lowercase hex, for those the
    store reports (``md5``, ``crc32c``, ``s3etag`` for a multipart ETag such as ``"ab..-3"``)."""

    key: str
    size: int
    checksums: dict[str, str] = field(default_factory=dict)


class ObjectStore(Protocol):
    """What the copier needs of a bucket or container."""

    url: str  # s3://bucket, azure://account/container, gs://bucket: for reports and errors
    part_size: int  # bytes per uploaded part or block (S3's multipart ETag depends on it)

    def list(self) -> Iterator[ObjectInfo]: ...

    def head(self, key: str) -> ObjectInfo | None: ...

    def read(self, key: str, chunk_size: int) -> Iterator[bytes]: ...

    def write(self, key: str, chunks: Iterable[bytes], size: int, digest: Digest) -> None:
        """Store the object from ``chunks``; ``digest`` is complete once they are consumed (a
        store may set it as the object's checksum after the last chunk)."""

    def delete(self, key: str) -> None: ...

    def verify_with(self) -> str:
        """The algorithm the store reports for objects this copier wrote (``crc32c``, ``md5``,
        ``s3etag``)."""


class Digest:
    """MD5, CRC32C and S3's multipart ETag of a stream, computed as it is read."""

    def __init__(self, part_size: int = CHUNK) -> None:
        self.size = 0
        self._md5 = hashlib.md5()  # noqa: S324 - a checksum the stores report, not a security hash
        self._crc: Any = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
        self._part_size = part_size
        self._part = hashlib.md5()  # noqa: S324
        self._part_fill = 0
        self._parts: list[bytes] = []

    def update(self, data: bytes) -> None:
        self.size += len(data)
        self._md5.update(data)
        self._crc.update(data)
        view = memoryview(data)
        while view:
            take = view[: self._part_size - self._part_fill]
            self._part.update(take)
            self._part_fill += len(take)
            view = view[len(take) :]
            if self._part_fill == self._part_size:
                self._parts.append(self._part.digest())
                self._part, self._part_fill = hashlib.md5(), 0  # noqa: S324

    def wrap(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.update(chunk)
            yield chunk

    @property
    def md5(self) -> str:
        return self._md5.hexdigest()

    @property
    def md5_b64(self) -> str:
        return base64.b64encode(self._md5.digest()).decode()

    @property
    def crc32c(self) -> str:
        return bytes(self._crc.digest()).hex()

    @property
    def s3etag(self) -> str:
        """The ETag S3 gives an upload in parts of ``part_size`` (the plain MD5 for one part)."""
        parts = [*self._parts, *([self._part.digest()] if self._part_fill or not self._parts else [])]
        if len(parts) <= 1:
            return self.md5
        return f"{hashlib.md5(b''.join(parts)).hexdigest()}-{len(parts)}"  # noqa: S324

    def value(self, algorithm: str) -> str:
        return {"md5": self.md5, "crc32c": self.crc32c, "s3etag": self.s3etag}[algorithm]


@dataclass
class CopyReport:
    source: str
    target: str
    method: str  # how copies were verified, e.g. "size+crc32c"
    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already verified in the target
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, why)
    bytes: int = 0
    verified: list[ObjectInfo] = field(default_factory=list)  # source objects now in the target

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def objects(self) -> int:
        return len(self.copied) + len(self.skipped)


def parts(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """``chunks`` regrouped into parts of exactly ``size`` bytes (the last may be shorter);
    at most one part is held in memory."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def split_parts(chunks: Iterable[bytes], size: int) -> tuple[bytes | None, Iterator[bytes]]:
    """``(data, no parts)`` when the object fits in one part, else ``(None, its parts)``; no part
    is kept once it has been handed out."""
    pieces = parts(chunks, size)
    head = [next(pieces, b"")]
    second = next(pieces, None)
    if second is None:
        return head[0], iter(())
    head.append(second)
    del second

    def every_part() -> Iterator[bytes]:
        while head:
            yield head.pop(0)
        yield from pieces

    return None, every_part()


def same_object(source: ObjectInfo, target: ObjectInfo | None) -> bool:
    """True when ``target`` is a verified copy of ``source``: same size, and an equal checksum
    of an algorithm both report."""
    if target is None or target.size != source.size:
        return False
    common = set(source.checksums) & set(target.checksums)
    return bool(common) and all(source.checksums[a] == target.checksums[a] for a in common)


def copy_objects(
    source: ObjectStore,
    target: ObjectStore,
    *,
    workers: int = 8,
    chunk_size: int = CHUNK,
    verified: Iterable[ObjectInfo] = (),
    stop: threading.Event | None = None,
) -> CopyReport:
    """Copy every object of ``source`` that ``target`` lacks or holds differently."""
    method = target.verify_with()
    report = CopyReport(source.url, target.url, f"size+{method}")
    lock = threading.Lock()
    existing = {info.key: info for info in target.list()}
    earlier = {(info.key, info.size, tuple(sorted(info.checksums.items()))) for info in verified}

    def done_before(info: ObjectInfo) -> bool:
        copy = existing.get(info.key)
        if copy is None or copy.size != info.size:
            return False
        return (
            same_object(info, copy) or (info.key, info.size, tuple(sorted(info.checksums.items()))) in earlier
        )

    def one(info: ObjectInfo) -> None:
        if stop is not None and stop.is_set():
            with lock:
                report.failed.append((info.key, "stopped before it was copied"))
            return
        if done_before(info):
            with lock:
                report.skipped.append(info.key)
                report.verified.append(info)
            return
        try:
            sent = _copy_one(source, target, info, method, chunk_size)
        except Exception as exc:  # one object's failure is reported; the others go on
            with lock:
                report.failed.append((info.key, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
            return
        with lock:
            report.copied.append(info.key)
            report.verified.append(info)
            report.bytes += sent

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="kedge-copy") as pool:
        for _ in pool.map(one, source.list()):
            pass
    report.copied.sort()
    report.skipped.sort()
    report.failed.sort()
    report.verified.sort(key=lambda info: info.key)
    return report


def _copy_one(
    source: ObjectStore, target: ObjectStore, info: ObjectInfo, method: str, chunk_size: int
) -> int:
    digest = Digest(target.part_size)
    target.write(info.key, digest.wrap(source.read(info.key, chunk_size)), info.size, digest)
    if digest.size != info.size:
        _discard(target, info.key)
        raise CopyError(f"read {digest.size} bytes of {info.size}: the source changed during the copy")
    for algorithm, expected in info.checksums.items():
        if algorithm in ("md5", "crc32c") and digest.value(algorithm) != expected:
            _discard(target, info.key)
            raise CopyError(f"the bytes read do not match the source's {algorithm}")
    written = target.head(info.key)
    if written is None or written.size != info.size:
        _discard(target, info.key)
        raise CopyError(f"the target holds {written.size if written else 'no'} bytes, not {info.size}")
    reported = written.checksums.get(method)
    if reported is None and method == "s3etag":
        reported = written.checksums.get("md5")
    if reported != digest.value(method):
        _discard(target, info.key)
        raise CopyError(
            f"the target's {method} {reported} differs from the copied bytes' {digest.value(method)}"
        )
    return digest.size


def _discard(target: ObjectStore, key: str) -> None:
    try:
        target.delete(key)
    except Exception:  # noqa: S110 - the copy already failed; a leftover is found by the next run
        pass


class CopyError(Exception):
    """One object could not be copied and verified."""
