"""Copying every object between S3 (moto), Azure (azurite) and Cloud Storage (the emulator),
in each direction: streamed, verified by size and a checksum the target reports, resumable,
and a failing target that reports which objects failed."""

from __future__ import annotations

import os

import pytest

from kedge.providers.aws.objects import S3Objects
from kedge.providers.azure.objects import BlobObjects
from kedge.providers.gcp.objects import GcsObjects
from kedge.providers.objects import CopyReport, copy_objects

pytestmark = [pytest.mark.aws, pytest.mark.azure, pytest.mark.gcp]

PART = 5 * 1024 * 1024  # S3's smallest part: the large object below goes up in three parts
OBJECTS = {
    "a.txt": b"hello",
    "empty": b"",
    "dir/b.bin": os.urandom(300_000),
    "large.bin": os.urandom(2 * PART + 12_345),
}


def s3_store(aws, name):
    s3 = aws.boto("s3")
    s3.create_bucket(Bucket=name)
    return S3Objects(s3, name, part_size=PART)


def azure_store(azure, name):
    container = azure.blob().get_container_client(azure.name(name[:3]))
    container.create_container()
    return BlobObjects(container, part_size=PART)


def gcs_store(gcs, name):
    client = gcs.sdk()
    client.create_bucket(name)
    return GcsObjects(client, name, part_size=PART)


@pytest.fixture
def stores(aws, azure, gcs):
    return {
        "s3": lambda name: s3_store(aws, name),
        "azure": lambda name: azure_store(azure, name),
        "gcs": lambda name: gcs_store(gcs, name),
    }


def fill(store) -> None:
    from kedge.providers.objects import Digest

    for key, data in OBJECTS.items():
        digest = Digest(PART)
        store.write(
            key,
            digest.wrap([data[i : i + 1_000_000] for i in range(0, len(data), 1_000_000)] or [b""]),
            len(data),
            digest,
        )


def content(store) -> dict[str, bytes]:
    return {info.key: b"".join(store.read(info.key, 1_000_000)) for info in store.list()}


@pytest.mark.parametrize(
    ("source", "target", "method"),
    [
        ("s3", "gcs", "size+crc32c"),
        ("s3", "azure", "size+md5"),
        ("azure", "gcs", "size+crc32c"),
        ("azure", "s3", "size+s3etag"),
        ("gcs", "s3", "size+s3etag"),
        ("gcs", "azure", "size+md5"),
    ],
)
def test_every_object_is_copied_verified_and_a_rerun_copies_nothing(stores, source, target, method):
    src, dst = stores[source]("kedge-src"), stores[target]("kedge-dst")
    fill(src)
    report = copy_objects(src, dst, workers=4, chunk_size=1_000_000)
    assert report.ok, report.failed
    assert report.method == method
    assert report.copied == sorted(OBJECTS) and report.bytes == sum(map(len, OBJECTS.values()))
    assert content(dst) == OBJECTS

    again = copy_objects(src, dst, workers=4, chunk_size=1_000_000, verified=report.verified)
    assert again.ok and again.copied == [] and again.skipped == sorted(OBJECTS)


def test_a_changed_or_missing_object_is_copied_again_and_only_it(stores):
    src, dst = stores["s3"]("kedge-src"), stores["gcs"]("kedge-dst")
    fill(src)
    first = copy_objects(src, dst)
    assert first.ok
    dst.delete("a.txt")
    dst.bucket.blob("dir/b.bin").upload_from_string(b"tampered")
    report = copy_objects(src, dst, verified=first.verified)
    assert report.ok and report.copied == ["a.txt", "dir/b.bin"]
    assert content(dst) == OBJECTS


def test_a_failing_target_reports_every_object_and_leaves_the_source_alone(stores, aws, refusing_url):
    import boto3

    src = stores["gcs"]("kedge-src")
    fill(src)
    refusing = boto3.client("s3", endpoint_url=refusing_url, region_name="us-east-1")
    dst = S3Objects(refusing, "kedge-dst", part_size=PART)
    with pytest.raises(Exception):  # listing the target already fails: nothing is copied
        copy_objects(src, dst)

    class WritesFail(S3Objects):
        def list(self):
            return iter(())

    report: CopyReport = copy_objects(src, WritesFail(refusing, "kedge-dst", PART))
    assert not report.ok and report.copied == []
    assert sorted(key for key, _ in report.failed) == sorted(OBJECTS)
    assert all("AccessDenied" in why or "403" in why or "Access" in why for _, why in report.failed)
    assert content(src) == OBJECTS


def test_a_target_that_stores_other_bytes_fails_verification_and_is_cleaned_up(stores):
    src, dst = stores["azure"]("kedge-src"), stores["gcs"]("kedge-dst")
    fill(src)

    class Corrupting(GcsObjects):
        def write(self, key, chunks, size, digest):
            data = b"".join(chunks)
            self.bucket.blob(key).upload_from_string(data[::-1] if len(data) > 1 else data)

    bad = Corrupting(dst.client, "kedge-dst", PART)
    report = copy_objects(src, bad)
    assert {key for key, _ in report.failed} == {"a.txt", "dir/b.bin", "large.bin"}
    assert all("crc32c" in why for _, why in report.failed)
    assert {info.key for info in dst.list()} == {"empty"}  # the bad copies were deleted


def test_connected_clients_hand_out_their_stores(aws, azure, gcs):
    """The engine gets both sides of a migration from connected clients and targets."""
    from kedge.model import ConfigError, ResourceKey
    from kedge.providers.base import ConnectContext, Target

    s3_client = aws.connect()
    bucket = Target(ResourceKey("aws.kedge.dev/v1", "S3Bucket", "old-store"), "old-store", {})
    s3_client.create(bucket)
    source = s3_client.objects(bucket)
    fill(source)

    from kedge.providers.azure import provider as azure_provider
    from kedge.providers.gcp import provider as gcp_provider

    gcp_client = gcp_provider.connect(gcs.settings(), ConnectContext("shop"))
    new = Target(ResourceKey("gcp.kedge.dev/v1", "GCSBucket", "new-store"), "new-store", {})
    gcp_client.create(new)
    report = copy_objects(source, gcp_client.objects(new))
    assert report.ok and report.objects == len(OBJECTS)

    azure_client = azure_provider.connect(azure.settings(), ConnectContext("shop"))
    queue = Target(ResourceKey("azure.kedge.dev/v1", "StorageQueue", "q"), "qqq", {})
    with pytest.raises(ConfigError):
        azure_client.objects(queue)
    bad = Target(ResourceKey("gcp.kedge.dev/v1", "GCSBucket", "Bad"), "Bad_Name", {})
    with pytest.raises(ConfigError):
        gcp_client.objects(bad)
    gcp_client.close()
    azure_client.close()


def test_memory_stays_flat_as_objects_grow(stores):
    """Peak memory of a copy depends on the part size, not on the object's size. (Objects up to
    8 MiB go to Cloud Storage in one request, as its SDK does: both sizes here are larger.)"""
    import tracemalloc

    src, dst = stores["azure"]("kedge-src"), stores["gcs"]("kedge-dst")
    small, large = os.urandom(9 << 20), os.urandom(27 << 20)
    src.container.upload_blob("small", small)
    src.container.upload_blob("large", large)

    def peak(key: str) -> int:
        class Only(type(src)):
            def list(self):
                return (info for info in super().list() if info.key == key)

        tracemalloc.start()
        try:
            report = copy_objects(
                Only(src.container, 256 * 1024),
                GcsObjects(dst.client, "kedge-dst", 256 * 1024),
                workers=1,
                chunk_size=64 * 1024,
            )
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert report.ok

    assert peak("large") < peak("small") + (4 << 20)  # 3x the object, not 3x the memory
