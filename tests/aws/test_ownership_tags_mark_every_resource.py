"""Kedge's ownership tags go on everything that takes tags, in the create call itself, and the
observed owner is the app they name (or None for an unowned resource)."""

from __future__ import annotations

import pytest

from tests.aws.helpers import observe, target

TRUST = {
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
}
KINDS = [
    ("S3Bucket", "shop-assets", {}),
    ("IAMRole", "shop-web", {"assumeRolePolicy": TRUST}),
    (
        "IAMPolicy",
        "shop-read",
        {
            "document": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        },
    ),
    ("VPC", "main", {"cidrBlock": "10.0.0.0/16"}),
    ("SQSQueue", "orders", {}),
    ("SNSTopic", "events", {}),
    ("DynamoDBTable", "carts", {"hashKey": "id", "attributes": {"id": "S"}}),
    ("KMSKey", "data", {}),
    ("Route53Zone", "shop.example.com", {}),
]


@pytest.mark.parametrize("kind, name, spec", KINDS, ids=[k[0] for k in KINDS])
def test_owner_is_the_app_that_created_it(aws, kind, name, spec):
    billing = aws.connect(app="billing")
    t = target(kind, name, {**spec, "tags": {"team": "x"}})
    made = billing.create(t)
    seen_by_shop = observe(aws.connect(app="shop"), target(kind, name, spec, made.outputs))
    assert seen_by_shop.exists
    assert seen_by_shop.owner == "billing"
    assert seen_by_shop.state["tags"] == {"team": "x"}  # Kedge's own tags are not shown as the user's


def test_unowned_bucket_has_no_owner_until_adopted(aws):
    aws.boto("s3").create_bucket(Bucket="legacy-assets")
    client = aws.connect()
    t = target("S3Bucket", "legacy-assets", {}, adopt="true")
    observed = observe(client, t)
    assert observed.exists and observed.owner is None
    client.update(t, observed, [])  # what an adopting plan runs, even with nothing else to change
    assert observe(client, t).owner == "shop"
