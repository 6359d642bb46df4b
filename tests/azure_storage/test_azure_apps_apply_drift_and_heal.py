"""Azure storage through the ``kedge`` command against azurite: apply, a clean plan, drift
made behind Kedge's back found and reverted, a deleted queue re-created, ownership marks kept,
and a connection string that never leaves the environment."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write

pytestmark = pytest.mark.azure


def app_dir(tmp_path, names: dict[str, str]):
    app = tmp_path / "shop"
    write(
        app / "provider.yaml",
        """
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {name: default}
        spec:
          provider: azure
          settings:
            connectionString: {fromEnv: AZURE_STORAGE_CONNECTION_STRING}
            retries: 0
        """,
    )
    write(
        app / "storage.yaml",
        f"""
        apiVersion: azure.kedge.dev/v1
        kind: StorageContainer
        metadata: {{name: {names["container"]}}}
        spec:
          publicAccess: blob
          metadata: {{team: web}}
        ---
        apiVersion: azure.kedge.dev/v1
        kind: StorageQueue
        metadata: {{name: {names["queue"]}}}
        spec:
          metadata: {{team: orders}}
        ---
        apiVersion: azure.kedge.dev/v1
        kind: StorageTable
        metadata: {{name: {names["table"]}}}
        """,
    )
    return app


@pytest.fixture
def shop(tmp_path, azure, monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure.server.connection_string)
    names = {"container": azure.name("c"), "queue": azure.name("q"), "table": azure.name("t")}
    return app_dir(tmp_path, names), names


def test_apply_then_plan_is_clean_and_every_object_is_marked(kedge, shop, azure):
    app, names = shop
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0

    container = azure.blob().get_container_client(names["container"]).get_container_properties()
    assert container.metadata == {
        "team": "web",
        "kedge_app": "shop",
        "kedge_resource": f"StorageContainer/{names['container']}",
    }
    assert container.public_access == "blob"
    queue = azure.queue().get_queue_client(names["queue"]).get_queue_properties()
    assert queue.metadata["team"] == "orders" and queue.metadata["kedge_app"] == "shop"
    assert names["table"] in {t.name for t in azure.table().list_tables()}
    assert azure.server.connection_string not in result.output


def test_drift_behind_kedges_back_is_reported_and_reverted(kedge, shop, azure):
    app, names = shop
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    container = azure.blob().get_container_client(names["container"])
    container.set_container_metadata({"team": "ops", "kedge_app": "shop"})
    container.set_container_access_policy(signed_identifiers={}, public_access="container")
    azure.queue().delete_queue(names["queue"])

    drift = kedge("drift", app, "-o", "json")
    assert drift.exit_code == 2, drift
    report = json.loads(drift.stdout)
    fields = {f["path"]: (f["desired"], f["actual"]) for d in report["drifted"] for f in d["fields"]}
    assert fields["publicAccess"] == ("blob", "container")
    assert fields["metadata.team"] == ("web", "ops")
    assert [m["name"] for m in report["missing"]] == [names["queue"]]

    assert kedge("apply", app, "--auto-approve").exit_code == 0
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0
    props = container.get_container_properties()
    assert props.public_access == "blob" and props.metadata["team"] == "web"
    assert props.metadata["kedge_resource"] == f"StorageContainer/{names['container']}"
    assert azure.queue().get_queue_client(names["queue"]).get_queue_properties().metadata["team"] == "orders"


def test_a_container_holding_blobs_is_not_deleted(kedge, shop, azure):
    app, names = shop
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    azure.blob().get_container_client(names["container"]).upload_blob("keep.txt", b"data")
    (app / "storage.yaml").write_text((app / "storage.yaml").read_text().split("---", 1)[1])

    result = kedge("apply", app, "--auto-approve", "--prune")
    assert result.exit_code == 1, result
    assert "holds blobs" in result.output and "deletion-policy: Orphan" in result.output
    assert azure.blob().get_container_client(names["container"]).exists()


def test_a_second_app_declaring_the_same_container_is_refused(kedge, shop, azure, tmp_path):
    app, names = shop
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    other = tmp_path / "billing"
    (other).mkdir()
    (other / "provider.yaml").write_text((app / "provider.yaml").read_text())
    (other / "storage.yaml").write_text(
        f"apiVersion: azure.kedge.dev/v1\nkind: StorageContainer\nmetadata: {{name: {names['container']}}}\n"
        "spec: {publicAccess: none}\n"
    )
    result = kedge("plan", other)
    assert result.exit_code == 1, result
    assert "shop" in result.output  # the owner named by the container's mark
    props = azure.blob().get_container_client(names["container"]).get_container_properties()
    assert props.public_access == "blob" and props.metadata["kedge_app"] == "shop"
