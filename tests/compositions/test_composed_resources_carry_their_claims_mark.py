"""A resource composed for a claim names the claim on the cloud object itself, so an operator
looking at the container, queue or bucket sees which claim made it (AWS and PostgreSQL: see
test_shipped_examples_work_against_real_targets)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write

PLATFORM = """\
apiVersion: kedge.dev/v1
kind: Definition
metadata: {name: Inbox}
spec:
  group: platform.example.org
  schema: {type: object, properties: {}}
---
apiVersion: kedge.dev/v1
kind: Composition
metadata: {name: inbox-multi}
spec:
  definition: Inbox
  resources:
    - id: container
      template:
        apiVersion: azure.kedge.dev/v1
        kind: StorageContainer
        metadata:
          name: "${claim.metadata.name}-files"
          annotations: {kedge.dev/provider-config: azure}
        spec: {metadata: {purpose: files}}
    - id: queue
      template:
        apiVersion: azure.kedge.dev/v1
        kind: StorageQueue
        metadata:
          name: "${claim.metadata.name}-events"
          annotations: {kedge.dev/provider-config: azure}
        spec: {}
    - id: bucket
      template:
        apiVersion: gcp.kedge.dev/v1
        kind: GCSBucket
        metadata:
          name: "${claim.metadata.name}-archive"
          annotations: {kedge.dev/provider-config: gcs}
        spec: {location: US, labels: {team: mail}}
"""


def _config(name: str, provider: str, settings: dict) -> str:
    return (
        f"apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {{name: {name}}}\n"
        f"spec:\n  provider: {provider}\n  settings: {json.dumps(settings)}\n"
    )


@pytest.mark.azure
@pytest.mark.gcp
def test_azure_metadata_and_gcs_labels_name_the_claim(kedge, tmp_path, azure, gcs) -> None:
    claim = azure.name("mail")
    app = tmp_path / "app"
    write(
        app / "providers.yaml",
        _config("azure", "azure", azure.settings()) + "---\n" + _config("gcs", "gcp", gcs.settings()),
    )
    write(
        app / "claims.yaml",
        f"apiVersion: platform.example.org/v1\nkind: Inbox\nmetadata: {{name: {claim}}}\nspec: {{}}\n",
    )
    platform = write(tmp_path / "platform" / "inbox.yaml", PLATFORM).parent
    applied = kedge("apply", app, "--platform", platform, "--auto-approve")
    assert applied.exit_code == 0, applied

    container = azure.blob().get_container_client(f"{claim}-files").get_container_properties()
    assert container.metadata["kedge_claim"] == f"Inbox/{claim}"
    assert container.metadata["purpose"] == "files", "the user's metadata is kept beside the marks"
    queue = azure.queue().get_queue_client(f"{claim}-events").get_queue_properties()
    assert queue.metadata["kedge_claim"] == f"Inbox/{claim}"
    labels = gcs.sdk().get_bucket(f"{claim}-archive").labels
    # label values allow lower-case letters, digits, '_' and '-' only: kind and name apart
    assert labels["kedge-claim-kind"] == "inbox" and labels["kedge-claim"] == claim
    assert labels["team"] == "mail"

    again = kedge("plan", app, "--platform", platform, "--detailed-exitcode")
    assert again.exit_code == 0, again
