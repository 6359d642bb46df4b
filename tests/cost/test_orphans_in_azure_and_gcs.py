"""``kedge orphans`` in Azure Storage (azurite) and Cloud Storage (gcp-storage-emulator): what no
app owns is listed with its cost; what an app applied, or declares, is not; a target that
cannot be listed is an error, never "no orphans"."""

from __future__ import annotations

import json
import re
import socket

import pytest

from tests.conftest import write


def _config(provider: str, settings: dict) -> str:
    return (
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f"spec:\n  provider: {provider}\n  settings: {json.dumps(settings)}\n"
    )


def _orphans(kedge, app, code: int = 0) -> dict:
    result = kedge("orphans", app, "-o", "json")
    assert result.exit_code == code, result
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


@pytest.mark.azure
def test_unowned_azure_containers_queues_and_tables_are_orphans(kedge, tmp_path, azure) -> None:
    owned, declared = azure.name("own"), azure.name("decl")
    stray_container, stray_queue = azure.name("stray"), azure.name("strayq")
    stray_table = "t" + azure.name("tab").replace("x", "")  # table names: letters and digits
    app = tmp_path / "app"
    write(app / "provider.yaml", _config("azure", azure.settings()))
    write(
        app / "containers.yaml",
        f"apiVersion: azure.kedge.dev/v1\nkind: StorageContainer\nmetadata: {{name: {owned}}}\nspec: {{}}\n",
    )
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    azure.blob().create_container(stray_container)
    azure.blob().create_container(declared)
    azure.queue().create_queue(stray_queue)
    azure.table().create_table(stray_table)
    # declared in the manifests (not applied yet): it has an owner
    write(
        app / "later.yaml",
        f"apiVersion: azure.kedge.dev/v1\nkind: StorageContainer\nmetadata: {{name: {declared}}}\nspec: {{}}\n",
    )

    report = _orphans(kedge, app)
    found = {(o["kind"], o["name"]): o for o in report["orphans"] if o["provider"] == "azure"}
    assert ("StorageContainer", stray_container) in found
    assert ("StorageQueue", stray_queue) in found
    assert ("StorageTable", stray_table) in found
    assert ("StorageContainer", owned) not in found, "applied by an app: its metadata names the app"
    assert ("StorageContainer", declared) not in found, "declared by the manifests looked at"
    stray = found[("StorageContainer", stray_container)]
    # priced from the catalog (eastus); with no usage known, storage and operations cost 0
    assert stray["monthly"] == 0.0 and "kedge_app" in stray["reason"]
    assert report["errors"] == []
    assert stray_container in {c.name for c in azure.blob().list_containers()}, "orphans only reads"


@pytest.mark.gcp
def test_unowned_gcs_buckets_are_orphans(kedge, tmp_path, gcs) -> None:
    app = tmp_path / "app"
    write(app / "provider.yaml", _config("gcp", gcs.settings()))
    write(
        app / "bucket.yaml",
        "apiVersion: gcp.kedge.dev/v1\nkind: GCSBucket\nmetadata: {name: kedge-owned-bucket}\n"
        "spec: {location: US}\n",
    )
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    gcs.sdk().create_bucket("someone-elses-bucket")

    report = _orphans(kedge, app)
    (stray,) = [o for o in report["orphans"] if o["provider"] == "gcp"]
    assert (stray["kind"], stray["name"]) == ("GCSBucket", "someone-elses-bucket")
    assert stray["monthly"] == 0.0 and "kedge-app" in stray["reason"]

    # Nothing in the manifests any more, and no state store that knows it: the label still owns it.
    (app / "bucket.yaml").unlink()
    report = _orphans(kedge, app)
    assert {o["name"] for o in report["orphans"]} == {"someone-elses-bucket"}


@pytest.mark.azure
def test_a_cloud_that_cannot_be_listed_is_an_error_not_an_empty_answer(kedge, tmp_path, azure) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    closed = re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", azure.server.connection_string)
    app = tmp_path / "app"
    write(app / "provider.yaml", _config("azure", {"connectionString": closed, "retries": 0}))
    result = kedge("orphans", app, "-o", "json")
    assert result.exit_code == 1, result
    report = json.loads(result.stdout)
    assert report["orphans"] == []
    assert sorted((e["provider"], e["kind"]) for e in report["errors"]) == [
        ("azure", "StorageContainer"),
        ("azure", "StorageQueue"),
        ("azure", "StorageTable"),
    ]
    assert "cannot list default (azure) StorageContainer" in result.stderr
    assert "Traceback" not in result.output
