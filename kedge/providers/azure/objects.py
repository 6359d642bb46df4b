"""The blobs of one container as the cross-cloud copier sees them (``kedge.providers.objects``).

A small blob goes up in one Put Blob; a larger one as blocks of the copier's chunk size, each
sent with its MD5 for the service to check (``validate_content``), then committed with the MD5
of the whole blob as its Content-MD5, which later runs compare to skip what is already copied.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from typing import Any

from kedge.providers.azure.errors import is_not_found
from kedge.providers.objects import CHUNK, Digest, ObjectInfo, split_parts


def _checksums(settings: Any) -> dict[str, str]:
    md5 = getattr(settings, "content_md5", None)
    return {"md5": binascii.hexlify(bytes(md5)).decode()} if md5 else {}


class BlobObjects:
    def __init__(self, container: Any, part_size: int = CHUNK) -> None:
        self.container = container
        self.part_size = part_size
        self.url = str(container.url)

    def list(self) -> Iterator[ObjectInfo]:
        for blob in self.container.list_blobs():
            yield ObjectInfo(blob.name, int(blob.size), _checksums(blob.content_settings))

    def head(self, key: str) -> ObjectInfo | None:
        try:
            props = self.container.get_blob_client(key).get_blob_properties()
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise
        return ObjectInfo(key, int(props.size), _checksums(props.content_settings))

    def read(self, key: str, chunk_size: int) -> Iterator[bytes]:
        # ranged reads of chunk_size: the SDK's own download fetches up to 32 MiB at first
        blob = self.container.get_blob_client(key)
        size = int(blob.get_blob_properties().size)
        for start in range(0, size, chunk_size):
            yield blob.download_blob(
                offset=start, length=min(chunk_size, size - start), max_concurrency=1
            ).readall()

    def write(self, key: str, chunks: Iterable[bytes], size: int, digest: Digest) -> None:
        from azure.storage.blob import BlobBlock, ContentSettings

        blob = self.container.get_blob_client(key)
        whole, pieces = split_parts(chunks, self.part_size)
        if whole is not None:  # one block: a single Put Blob
            settings = ContentSettings(content_md5=bytearray(base64.b64decode(digest.md5_b64)))
            blob.upload_blob(whole, overwrite=True, content_settings=settings, validate_content=True)
            return
        blocks = []
        for number, block in enumerate(pieces):
            block_id = base64.b64encode(f"{number:08d}".encode()).decode()
            blob.stage_block(block_id, block, validate_content=True)
            blocks.append(BlobBlock(block_id=block_id))
            del block
        settings = ContentSettings(content_md5=bytearray(base64.b64decode(digest.md5_b64)))
        blob.commit_block_list(blocks, content_settings=settings)

    def delete(self, key: str) -> None:
        self.container.get_blob_client(key).delete_blob()

    def verify_with(self) -> str:
        return "md5"
