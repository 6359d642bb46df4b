"""An S3Bucket is created as written, observed with no drift, and out-of-band changes revert."""

from __future__ import annotations

import json

from tests.aws.helpers import converge, diff, observe, target


def spec() -> dict:
    return {
        "versioning": True,
        "tags": {"team": "payments"},
        "policy": {
            "Statement": {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::shop-assets/*"],
                "Condition": {"Bool": {"aws:SecureTransport": False}},
            }
        },
    }


def test_apply_then_plan_is_empty(aws):
    client = aws.connect()
    t, observed = converge(client, target("S3Bucket", "shop-assets", spec()))
    assert observed.exists and observed.owner == "shop"
    assert diff(t, observed) == []
    assert t.outputs["arn"] == "arn:aws:s3:::shop-assets"
    tags = aws.boto("s3").get_bucket_tagging(Bucket="shop-assets")["TagSet"]
    assert {"Key": "kedge.dev/resource", "Value": "S3Bucket/shop-assets"} in tags


def test_out_of_band_changes_are_detected_and_reverted(aws):
    client = aws.connect()
    t, _ = converge(client, target("S3Bucket", "shop-assets", spec()))
    s3 = aws.boto("s3")
    s3.put_bucket_versioning(Bucket="shop-assets", VersioningConfiguration={"Status": "Suspended"})
    s3.put_bucket_tagging(
        Bucket="shop-assets", Tagging={"TagSet": [{"Key": "kedge.dev/app", "Value": "shop"}]}
    )
    s3.put_public_access_block(
        Bucket="shop-assets",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    widened = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shop-assets/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="shop-assets", Policy=json.dumps(widened))

    observed = observe(client, t)
    drifted = {c.path for c in diff(t, observed)}
    assert drifted == {"versioning", "tags", "publicAccessBlock", "policy"}

    client.update(t, observed, diff(t, observed))
    assert diff(t, observe(client, t)) == []
    assert s3.get_bucket_versioning(Bucket="shop-assets")["Status"] == "Enabled"
