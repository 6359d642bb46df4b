"""Benchmark: copy a bucket of objects from S3 (moto) to Cloud Storage (the emulator) and to
Azure Blob (azurite) with Kedge's copier, against ``rclone copy --checksum`` between the same
endpoints where rclone reaches them, and a plain SDK loop (read whole object, write it, no
verification) everywhere. Reports throughput and the copier's peak memory.

    PYTHONPATH=. .venv/bin/python bench/objects_copy.py                       # 200 x 256 KiB
    PYTHONPATH=. .venv/bin/python bench/objects_copy.py --objects 1000 --size-kib 1024   # 1 GiB
    PYTHONPATH=. .venv/bin/python bench/objects_copy.py --objects 8 --size-kib 32768 --tools kedge  # memory

Each measurement runs in a fresh target bucket; the emulators run in their own processes on
127.0.0.1 and store objects in memory, so the figures compare clients, not networks.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

from kedge.providers.aws.objects import S3Objects
from kedge.providers.azure.objects import BlobObjects
from kedge.providers.gcp.objects import GcsObjects
from kedge.providers.objects import copy_objects
from tests.fixtures.aws import ENV, MotoProcess
from tests.fixtures.azure import ACCOUNT, KEY, AzuriteProcess, _binary
from tests.fixtures.gcs import GcsProcess

WORKERS = 8


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gcs_client(url: str) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(
        project="bench-proj", credentials=AnonymousCredentials(), client_options={"api_endpoint": url}
    )


def container_sas(container: str) -> str:
    from datetime import UTC, datetime, timedelta

    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    return generate_container_sas(
        ACCOUNT,
        container,
        account_key=KEY,
        permission=ContainerSasPermissions(read=True, write=True, list=True, create=True, add=True),
        expiry=datetime.now(UTC) + timedelta(hours=2),
    )


def plain_loop(s3: Any, bucket: str, keys: list[str], put: Any) -> None:
    def one(key: str) -> None:
        put(key, s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(one, keys))


def rclone(config: dict[str, str], source: str, target: str) -> float | None:
    binary = shutil.which("rclone")
    if binary is None:
        return None
    # a CA bundle for HTTPS makes rclone's S3 client refuse its own HTTP transport
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"} | config
    start = time.perf_counter()
    done = subprocess.run(
        [binary, "copy", "--checksum", f"--transfers={WORKERS}", source, target],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        print(f"  rclone {source} -> {target} failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return time.perf_counter() - start


def seed(endpoint: str, keys: list[str], size_kib: int) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="bench-src")
    payload = os.urandom(size_kib * 1024)
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket="bench-src", Key=k, Body=payload), keys))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=200)
    parser.add_argument("--size-kib", type=int, default=256)
    parser.add_argument("--tools", default="kedge,loop,rclone", help="which of kedge, loop, rclone to run")
    args = parser.parse_args()
    os.environ.update(ENV)
    total = args.objects * args.size_kib * 1024

    moto, gcs = MotoProcess(), GcsProcess()
    azurite = AzuriteProcess(_binary() or "azurite", Path(tempfile.mkdtemp()))
    try:
        s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1")
        keys = [f"data/{i:05d}.bin" for i in range(args.objects)]
        # seeded by a child process, so that this process's peak memory is the copy's alone
        seeder = multiprocessing.get_context("fork").Process(
            target=seed, args=(moto.url, keys, args.size_kib)
        )
        seeder.start()
        seeder.join()
        source = S3Objects(s3, "bench-src")
        gcs_sdk = gcs_client(gcs.url)
        from azure.storage.blob import BlobServiceClient

        blobs = BlobServiceClient.from_connection_string(azurite.connection_string)
        print(f"{args.objects} objects of {args.size_kib} KiB ({total / 2**20:.0f} MiB), {WORKERS} workers")
        rclone_env = {
            "RCLONE_CONFIG_SRC_TYPE": "s3",
            "RCLONE_CONFIG_SRC_PROVIDER": "Other",
            "RCLONE_CONFIG_SRC_ENDPOINT": moto.url,
            "RCLONE_CONFIG_SRC_ACCESS_KEY_ID": "testing",
            "RCLONE_CONFIG_SRC_SECRET_ACCESS_KEY": "testing",
            "RCLONE_CONFIG_SRC_REGION": "us-east-1",
            "RCLONE_CONFIG_GCS_TYPE": "google cloud storage",
            "RCLONE_CONFIG_GCS_ANONYMOUS": "true",
            "RCLONE_CONFIG_GCS_ENDPOINT": gcs.url,
            "RCLONE_CONFIG_GCS_PROJECT_NUMBER": "bench-proj",
            "RCLONE_CONFIG_AZ_TYPE": "azureblob",
        }
        for name in ("gcs", "azure"):
            runs: dict[str, float | None] = {}
            for tool in [t for t in ("kedge", "loop", "rclone") if t in args.tools.split(",")]:
                bucket = f"bench-{tool}-{name}"
                if name == "gcs":
                    gcs_sdk.create_bucket(bucket)
                    target: Any = GcsObjects(gcs_sdk, bucket)
                    put = lambda k, d, b=bucket: gcs_sdk.bucket(b).blob(k).upload_from_string(d)  # noqa: E731
                    remote = f"gcs:{bucket}"
                else:
                    container = blobs.get_container_client(bucket)
                    container.create_container()
                    target = BlobObjects(container)
                    put = lambda k, d, c=container: c.upload_blob(k, d, overwrite=True)  # noqa: E731
                    # rclone 1.60 reaches a custom endpoint only through a container SAS URL
                    rclone_env["RCLONE_CONFIG_AZ_SAS_URL"] = (
                        f"{azurite.url('blob')}/{bucket}?{container_sas(bucket)}"
                    )
                    remote = "az:"
                start = time.perf_counter()
                if tool == "kedge":
                    report = copy_objects(source, target, workers=WORKERS)
                    assert report.ok and len(report.copied) == args.objects, report.failed[:3]
                    runs[tool] = time.perf_counter() - start
                elif tool == "loop":
                    plain_loop(s3, "bench-src", keys, put)
                    runs[tool] = time.perf_counter() - start
                else:
                    runs[tool] = rclone(rclone_env, "src:bench-src", remote)
            kedge_s = runs.get("kedge") or float("nan")
            line = f"S3 -> {name}: kedge {kedge_s:.2f} s ({total / 2**20 / kedge_s:.1f} MiB/s, verified: size+{target.verify_with()})"
            for tool in ("rclone", "loop"):
                seconds = runs.get(tool)
                if seconds:
                    line += f"; {tool} {seconds:.2f} s (kedge/{tool} time ratio {kedge_s / seconds:.2f})"
                else:
                    line += f"; {tool}: not run"
            print(line)
        print(f"peak RSS of this process ({args.tools} and the SDK clients): {rss_mib():.0f} MiB")
    finally:
        moto.stop()
        gcs.stop()
        azurite.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    threading.stack_size(0)
    main()
