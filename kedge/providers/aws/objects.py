"""The objects of one S3 bucket as the cross-cloud copier sees them (``kedge.providers.objects``).

A small object goes up in one PutObject (its ETag is its MD5); a larger one in parts of the
copier's chunk size (its ETag is the MD5 of the part MD5s, which the copier computes from the
stream too). Only one part is held in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from kedge.providers.aws.errors import is_code
from kedge.providers.objects import CHUNK, Digest, ObjectInfo, split_parts


def _checksums(etag: str | None) -> dict[str, str]:
    tag = (etag or "").strip('"').lower()
    if not tag:
        return {}
    return {"s3etag": tag} if "-" in tag else {"md5": tag}


class S3Objects:
    def __init__(self, s3: Any, bucket: str, part_size: int = CHUNK) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.part_size = part_size
        self.url = f"s3://{bucket}"

    def list(self) -> Iterator[ObjectInfo]:
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                yield ObjectInfo(item["Key"], int(item["Size"]), _checksums(item.get("ETag")))

    def head(self, key: str) -> ObjectInfo | None:
        try:
            answer = self.s3.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if is_code(exc, ["404", "NoSuchKey", "NotFound"]):
                return None
            raise
        return ObjectInfo(key, int(answer["ContentLength"]), _checksums(answer.get("ETag")))

    def read(self, key: str, chunk_size: int) -> Iterator[bytes]:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def write(self, key: str, chunks: Iterable[bytes], size: int, digest: Digest) -> None:
        whole, pieces = split_parts(chunks, self.part_size)
        if whole is not None:  # one part: a single PutObject
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=whole)
            return
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        try:
            done = []
            for number, part in enumerate(pieces, start=1):
                done.append(self._part(key, upload, number, part))
                del part
            self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": done}
            )
        except BaseException:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)
            raise

    def _part(self, key: str, upload: str, number: int, data: bytes) -> dict[str, Any]:
        answer = self.s3.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=number, Body=data
        )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)

    def verify_with(self) -> str:
        return "s3etag"
