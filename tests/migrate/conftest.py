"""An app with one ObjectStore claim on the shipped portable platform, and the three clouds'
emulators to move it between (moto, azurite, the Cloud Storage emulator)."""

from __future__ import annotations

import base64
import hashlib
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google_crc32c
import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "examples" / "platform" / "objectstore"

OBJECTS = {
    "a.txt": b"hello",
    "empty": b"",
    "reports/2026/q1.csv": b"id,total\n" + b"1,2\n" * 50_000,
}


def claim_text(name: str, composition: str) -> str:
    return textwrap.dedent(
        f"""\
        # the invoices of the shop   (kept byte for byte by kedge migrate)
        apiVersion: platform.example.org/v1
        kind: ObjectStore
        metadata:
          name: {name}
          annotations:
            kedge.dev/composition: {composition}   # which cloud
        spec:
          versioned: false
        """
    )


@dataclass
class MigrationApp:
    path: Path
    claim: str
    aws: Any
    azure: Any
    gcs: Any

    @property
    def claims(self) -> Path:
        return self.path / "claims.yaml"

    @property
    def store(self) -> str:
        return f"{self.claim}-data"

    def args(self, *extra: str) -> list[str]:
        return [str(self.path), "--platform", str(PLATFORM), *extra]

    # -- the stores, read and written with each cloud's own SDK ------------------------------

    def s3_put(self, objects: dict[str, bytes]) -> None:
        s3 = self.aws.boto("s3")
        for key, data in objects.items():
            s3.put_object(Bucket=self.store, Key=key, Body=data)

    def s3_exists(self) -> bool:
        names = [b["Name"] for b in self.aws.boto("s3").list_buckets().get("Buckets", [])]
        return self.store in names

    def s3_objects(self) -> dict[str, bytes]:
        s3 = self.aws.boto("s3")
        listed = s3.list_objects_v2(Bucket=self.store).get("Contents", [])
        return {o["Key"]: s3.get_object(Bucket=self.store, Key=o["Key"])["Body"].read() for o in listed}

    def gcs_objects(self) -> dict[str, tuple[bytes, str]]:
        """key -> (bytes, the CRC32C the emulator reports, base64)."""
        bucket = self.gcs.sdk().bucket(self.store)
        out = {}
        for blob in bucket.list_blobs():
            out[blob.name] = (blob.download_as_bytes(), blob.crc32c)
        return out

    def gcs_exists(self) -> bool:
        return self.gcs.sdk().lookup_bucket(self.store) is not None

    def azure_objects(self) -> dict[str, tuple[bytes, bytes | None]]:
        """key -> (bytes, the Content-MD5 azurite reports)."""
        container = self.azure.blob().get_container_client(self.store)
        out = {}
        for item in container.list_blobs():
            data = container.download_blob(item.name).readall()
            out[item.name] = (data, item.content_settings.content_md5)
        return out

    def azure_exists(self) -> bool:
        return self.azure.blob().get_container_client(self.store).exists()


def crc32c_b64(data: bytes) -> str:
    return base64.b64encode(google_crc32c.Checksum(data).digest()).decode()  # type: ignore[no-untyped-call]


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()  # noqa: S324 - what Azure stores as Content-MD5


@pytest.fixture
def migration_app(tmp_path: Path, aws: Any, azure: Any, gcs: Any) -> Callable[..., MigrationApp]:
    """``make(composition="objectstore-aws")``: the app's directory with its three ProviderConfigs."""

    def make(composition: str = "objectstore-aws", claim: str | None = None) -> MigrationApp:
        name = claim or azure.name("inv")  # azurite keeps containers for the whole session
        app = tmp_path / "shop"
        app.mkdir()
        (app / "claims.yaml").write_text(claim_text(name, composition))
        (app / "providers.yaml").write_text(
            textwrap.dedent(
                f"""\
                apiVersion: kedge.dev/v1
                kind: ProviderConfig
                metadata: {{name: aws}}
                spec:
                  provider: aws
                  settings: {{region: {aws.region}, endpointURL: "{aws.endpoint}"}}
                ---
                apiVersion: kedge.dev/v1
                kind: ProviderConfig
                metadata: {{name: azure}}
                spec:
                  provider: azure
                  settings: {{connectionString: "{azure.server.connection_string}", retries: 0}}
                ---
                apiVersion: kedge.dev/v1
                kind: ProviderConfig
                metadata: {{name: gcp}}
                spec:
                  provider: gcp
                  settings: {{project: {gcs.project}, endpointURL: "{gcs.url}"}}
                """
            )
        )
        return MigrationApp(app, name, aws, azure, gcs)

    return make
