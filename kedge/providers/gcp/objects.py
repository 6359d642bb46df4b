"""The objects of one Cloud Storage bucket as the cross-cloud copier sees them
(``kedge.providers.objects``).

Reads are ranged downloads of the copier's chunk size; writes are resumable uploads in chunks
of the same size, so neither holds a whole object in memory. GCS reports CRC32C (and, for
objects not composed from others, MD5) for every object: the copier checks CRC32C.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Iterator
from typing import Any

from kedge.providers.objects import CHUNK, Digest, ObjectInfo

_GRAIN = 256 * 1024  # resumable upload chunks are multiples of 256 KiB


def _hex(b64: str | None) -> str | None:
    return base64.b64decode(b64).hex() if b64 else None


def _checksums(blob: Any) -> dict[str, str]:
    found = {"md5": _hex(blob.md5_hash), "crc32c": _hex(blob.crc32c)}
    return {k: v for k, v in found.items() if v}


class _Window(io.RawIOBase):
    """A file object over an iterator of chunks that can seek back over the last ``keep``
    bytes: the resumable uploader rewinds to the last acknowledged byte after a failed chunk.
    Memory: at most ``keep`` bytes plus one incoming chunk."""

    def __init__(self, chunks: Iterable[bytes], keep: int) -> None:
        self._chunks = iter(chunks)
        self._keep = keep
        self._buffer = bytearray()
        self._start = 0  # absolute offset of _buffer[0]
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self._pos + offset
        if whence == io.SEEK_END or target < self._start or target > self._start + len(self._buffer):
            raise OSError(f"cannot seek to {target}: only the last {self._keep} bytes are kept")
        self._pos = target
        return target

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes, fewer only at the end (uploaders treat a short read as the end)."""
        if size is None or size < 0:
            return b"".join(iter(lambda: super(_Window, self).read(CHUNK), b""))
        out = bytearray()
        while len(out) < size:
            piece = super().read(size - len(out))
            if not piece:
                break
            out += piece
        return bytes(out)

    def readinto(self, buffer: Any) -> int:
        while self._pos >= self._start + len(self._buffer):
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                return 0
        begin = self._pos - self._start
        size = min(len(buffer), len(self._buffer) - begin)
        buffer[:size] = self._buffer[begin : begin + size]
        self._pos += size
        excess = self._pos - self._start - self._keep
        if excess > 0:
            del self._buffer[:excess]
            self._start += excess
        return size


class GcsObjects:
    def __init__(self, client: Any, bucket: str, part_size: int = CHUNK) -> None:
        self.client = client
        self.bucket = client.bucket(bucket)
        self.part_size = max(_GRAIN, part_size // _GRAIN * _GRAIN)
        self.url = f"gs://{bucket}"

    def list(self) -> Iterator[ObjectInfo]:
        for blob in self.client.list_blobs(self.bucket):
            yield ObjectInfo(blob.name, int(blob.size or 0), _checksums(blob))

    def head(self, key: str) -> ObjectInfo | None:
        blob = self.bucket.get_blob(key)
        return None if blob is None else ObjectInfo(key, int(blob.size or 0), _checksums(blob))

    def read(self, key: str, chunk_size: int) -> Iterator[bytes]:
        blob = self.bucket.get_blob(key)
        if blob is None:
            raise FileNotFoundError(f"{self.url}/{key} is gone")
        size = int(blob.size or 0)
        for start in range(0, size, chunk_size):
            end = min(start + chunk_size, size) - 1
            yield blob.download_as_bytes(start=start, end=end, checksum=None)

    def write(self, key: str, chunks: Iterable[bytes], size: int, digest: Digest) -> None:
        blob = self.bucket.blob(key, chunk_size=self.part_size)
        blob.upload_from_file(_Window(chunks, keep=self.part_size), size=size, checksum=None)

    def delete(self, key: str) -> None:
        self.bucket.blob(key).delete()

    def verify_with(self) -> str:
        return "crc32c"
