"""Cloud Storage buckets through the ``kedge`` command against the emulator: apply, a clean
plan, drift made behind Kedge's back found and reverted, and a bucket holding objects kept."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write

pytestmark = pytest.mark.gcp

BUCKET = """
apiVersion: gcp.kedge.dev/v1
kind: GCSBucket
metadata: {name: shop-invoices}
spec:
  storageClass: NEARLINE
  versioning: true
  labels: {team: billing}
  lifecycle:
    - action: {type: Delete}
      condition: {age: 365, matchesPrefix: [tmp/]}
    - action: {type: SetStorageClass, storageClass: COLDLINE}
      condition: {age: 30}
"""


@pytest.fixture
def shop(tmp_path, gcs):
    app = tmp_path / "shop"
    write(
        app / "provider.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec:
          provider: gcp
          settings: {{project: {gcs.project}, endpointURL: "{gcs.url}"}}
        """,
    )
    write(app / "bucket.yaml", BUCKET)
    return app


def test_apply_then_plan_is_clean_and_the_bucket_is_marked(kedge, shop, gcs):
    result = kedge("apply", shop, "--auto-approve")
    assert result.exit_code == 0, result
    assert kedge("plan", shop, "--detailed-exitcode").exit_code == 0

    bucket = gcs.sdk().get_bucket("shop-invoices")
    assert bucket.storage_class == "NEARLINE" and bucket.versioning_enabled is True
    assert bucket.labels == {"team": "billing", "kedge-app": "shop"}
    assert [r["action"]["type"] for r in bucket.lifecycle_rules] == ["Delete", "SetStorageClass"]


def test_drift_behind_kedges_back_is_reported_and_reverted(kedge, shop, gcs):
    assert kedge("apply", shop, "--auto-approve").exit_code == 0
    bucket = gcs.sdk().get_bucket("shop-invoices")
    bucket.versioning_enabled = False
    bucket.labels = {"team": "ops", "kedge-app": "shop", "extra": "x"}
    bucket.lifecycle_rules = []
    bucket.patch()

    drift = kedge("drift", shop, "-o", "json")
    assert drift.exit_code == 2, drift
    fields = {
        f["path"]: (f["desired"], f["actual"])
        for d in json.loads(drift.stdout)["drifted"]
        for f in d["fields"]
    }
    assert fields["versioning"] == (True, False)
    assert fields["labels.team"] == ("billing", "ops")
    assert fields["labels.extra"] == (None, "x")
    assert "lifecycle" in fields

    assert kedge("apply", shop, "--auto-approve").exit_code == 0
    assert kedge("plan", shop, "--detailed-exitcode").exit_code == 0
    healed = gcs.sdk().get_bucket("shop-invoices")
    assert healed.versioning_enabled is True
    assert {k: v for k, v in healed.labels.items() if v is not None} == {
        "team": "billing",
        "kedge-app": "shop",
    }


def test_a_bucket_holding_objects_is_not_deleted(kedge, shop, gcs):
    assert kedge("apply", shop, "--auto-approve").exit_code == 0
    gcs.sdk().bucket("shop-invoices").blob("keep.txt").upload_from_string(b"data")
    (shop / "bucket.yaml").unlink()
    write(shop / "other.yaml", BUCKET.replace("shop-invoices", "shop-other"))

    result = kedge("apply", shop, "--auto-approve", "--prune", "--confirm-prune")
    assert result.exit_code == 1, result
    assert "holds objects" in result.output and "deletion-policy: Orphan" in result.output
    assert gcs.sdk().lookup_bucket("shop-invoices") is not None
