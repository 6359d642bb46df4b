"""A claim costs what its composed resources cost: ``kedge cost`` lists each claim with the sum
and its resources, beside the DESIGN shape's keys (which stay as they are)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write

PLATFORM = """\
apiVersion: kedge.dev/v1
kind: Definition
metadata: {name: ObjectStore}
spec:
  group: platform.example.org
  schema:
    type: object
    required: [storageGB]
    properties:
      storageGB: {type: integer, minimum: 0}
---
apiVersion: kedge.dev/v1
kind: Composition
metadata: {name: objectstore-aws}
spec:
  definition: ObjectStore
  resources:
    - id: data
      template:
        apiVersion: aws.kedge.dev/v1
        kind: S3Bucket
        metadata:
          name: "${claim.metadata.name}-data"
          annotations: {kedge.dev/usage: "storageGB=${claim.spec.storageGB}"}
        spec: {}
    - id: logs
      template:
        apiVersion: aws.kedge.dev/v1
        kind: S3Bucket
        metadata:
          name: "${claim.metadata.name}-logs"
          annotations: {kedge.dev/usage: "storageGB=10"}
        spec: {}
    - id: reader
      template:
        apiVersion: aws.kedge.dev/v1
        kind: IAMRole
        metadata: {name: "${claim.metadata.name}-reader"}
        spec:
          assumeRolePolicy:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]
"""

CLAIMS = """\
apiVersion: platform.example.org/v1
kind: ObjectStore
metadata: {name: invoices}
spec: {storageGB: 100}
---
apiVersion: platform.example.org/v1
kind: ObjectStore
metadata: {name: scans}
spec: {storageGB: 1000}
---
apiVersion: aws.kedge.dev/v1
kind: S3Bucket
metadata:
  name: plain
  annotations: {kedge.dev/usage: "storageGB=1"}
spec: {}
"""

S3_US_EAST_1 = 0.023  # USD per GB-month, the first tier (tests/cost/test_cost_figures_...)


@pytest.fixture
def platform(tmp_path):
    return write(tmp_path / "platform" / "objectstore.yaml", PLATFORM).parent


def test_each_claim_costs_the_sum_of_its_resources(kedge, cost_app, platform) -> None:
    app = cost_app(CLAIMS)
    result = kedge("cost", app, "--platform", platform, "-o", "json")
    assert result.exit_code == 0, result
    report = json.loads(result.stdout)
    assert set(report) == {"currency", "total", "resources", "unpriced", "claims"}
    claims = {c["name"]: c for c in report["claims"]}
    assert [c["kind"] for c in report["claims"]] == ["ObjectStore", "ObjectStore"]
    # by hand: (100 + 10) GB and (1000 + 10) GB at 0.023; an IAM role costs nothing
    assert claims["invoices"]["monthly"] == pytest.approx(110 * S3_US_EAST_1)
    assert claims["scans"]["monthly"] == pytest.approx(1010 * S3_US_EAST_1)
    assert claims["invoices"]["resources"] == [
        {"apiVersion": "aws.kedge.dev/v1", "kind": "S3Bucket", "name": "invoices-data", "monthly": 2.3},
        {"apiVersion": "aws.kedge.dev/v1", "kind": "S3Bucket", "name": "invoices-logs", "monthly": 0.23},
        {"apiVersion": "aws.kedge.dev/v1", "kind": "IAMRole", "name": "invoices-reader", "monthly": 0.0},
    ]
    # the app's total counts every resource once: both claims and the plain bucket
    assert report["total"] == pytest.approx((110 + 1010 + 1) * S3_US_EAST_1)
    by_name = {r["name"]: r for r in report["resources"]}
    assert by_name["scans-data"]["claim"] == {"kind": "ObjectStore", "name": "scans"}
    assert "claim" not in by_name["plain"]

    text = kedge("cost", app, "--platform", platform)
    assert text.exit_code == 0, text
    assert "Claim ObjectStore/invoices  2.53 USD" in text.stdout
    assert "    S3Bucket/invoices-logs: 0.23 USD" in text.stdout


def test_an_app_without_claims_keeps_the_shape(kedge, cost_app, cost_json) -> None:
    app = cost_app(CLAIMS.split("---\n")[-1])
    assert set(cost_json(app)) == {"currency", "total", "resources", "unpriced"}


def test_a_claim_whose_resources_cannot_be_priced_lists_them_as_unpriced(kedge, cost_app, platform) -> None:
    app = cost_app(CLAIMS.split("---\n")[0], region="ap-south-2")  # a region the catalog lacks
    report = json.loads(kedge("cost", app, "--platform", platform, "-o", "json").stdout)
    (claim,) = report["claims"]
    assert claim["monthly"] == 0.0
    assert {r["name"]: r["monthly"] for r in claim["resources"]} == {
        "invoices-data": None,
        "invoices-logs": None,
        "invoices-reader": 0.0,
    }
    assert {u["name"] for u in report["unpriced"]} == {"invoices-data", "invoices-logs"}


def test_a_bad_claim_is_a_placed_error_and_prices_nothing(kedge, cost_app, platform) -> None:
    app = cost_app(CLAIMS.replace("storageGB: 100", "storageGB: lots"))
    result = kedge("cost", app, "--platform", platform, "-o", "json")
    assert result.exit_code == 1
    assert "resources.yaml:4" in result.stderr and "ObjectStore/invoices" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    missing = kedge("cost", app)  # without the platform, the claim's kind is unknown: say so
    assert missing.exit_code == 1 and "unknown kind ObjectStore" in missing.stderr
