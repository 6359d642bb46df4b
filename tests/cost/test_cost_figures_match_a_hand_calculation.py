"""``kedge cost`` figures against hand calculations from the shipped catalog's list prices.

Each expected figure is worked out here from the published price per unit (the catalog's
``pricePerUnit``), so a change in the estimators' arithmetic, tiers or defaults shows up.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from kedge.cost import estimate_resources
from kedge.engine.cost import load_catalog
from kedge.model import Resource, ResourceKey


def catalog_rate(price_id: str, region: str, variant: str = "") -> list[tuple[float, float, float]]:
    """The tiers (begin, end, rate) of one price, read straight from the shipped JSON."""
    doc = json.loads(resources.files("kedge.cost").joinpath("data/prices.json").read_text())
    for offer in doc["offers"].values():
        for sku, product in offer["products"].items():
            a = product["attributes"]
            if (a["kedge:price"], a.get("regionCode", "global"), a.get("kedge:variant", "")) == (
                price_id,
                region,
                variant,
            ):
                (term,) = offer["terms"]["OnDemand"][sku].values()
                return sorted(
                    (float(d["beginRange"]), float(d["endRange"]), float(d["pricePerUnit"]["USD"]))
                    for d in term["priceDimensions"].values()
                )
    raise AssertionError(f"{price_id} {region} {variant} not in the catalog")


def by_name(report: dict) -> dict[str, dict]:
    return {r["name"]: r for r in report["resources"]}


def test_shipped_prices_are_the_published_list_prices() -> None:
    # The figures below are AWS's published us-east-1 list prices; the catalog must carry them.
    assert catalog_rate("s3.storage", "us-east-1") == [
        (0, 51200, 0.023),
        (51200, 512000, 0.022),
        (512000, float("inf"), 0.021),
    ]
    assert catalog_rate("ec2.instance", "us-east-1", "t3.medium") == [(0, float("inf"), 0.0416)]
    assert catalog_rate("ebs.volume", "us-east-1", "gp3") == [(0, float("inf"), 0.08)]


def test_s3_storage_and_requests(cost_app, cost_json) -> None:
    app = cost_app(
        """
        apiVersion: aws.kedge.dev/v1
        kind: S3Bucket
        metadata:
          name: logs
          annotations: {kedge.dev/usage: "storageGB=100,requests=1000000,writeRequests=20000"}
        spec: {}
        """
    )
    report = cost_json(app)
    # 100 GB x 0.023 + 1,000,000 GET x 0.0004/1000 + 20,000 PUT x 0.005/1000
    assert report["total"] == pytest.approx(2.30 + 0.40 + 0.10)
    assert report["currency"] == "USD"
    logs = by_name(report)["logs"]
    assert logs["apiVersion"] == "aws.kedge.dev/v1" and logs["kind"] == "S3Bucket"
    storage = logs["components"][0]
    assert storage == {"name": "Storage", "unit": "GB-Mo", "quantity": 100, "price": 0.023, "monthly": 2.3}
    assert sum(c["monthly"] for c in logs["components"]) == pytest.approx(logs["monthly"])


def test_tiered_storage_is_split_across_tiers(cost_app, cost_json) -> None:
    app = cost_app(
        """
        apiVersion: aws.kedge.dev/v1
        kind: S3Bucket
        metadata:
          name: archive
          annotations: {kedge.dev/usage: "storageGB=600000"}
        spec: {}
        """
    )
    components = by_name(cost_json(app))["archive"]["components"]
    # first 50 TB at 0.023, next 450 TB at 0.022, the remaining 88,000 GB at 0.021
    assert [(c["quantity"], c["price"]) for c in components] == [
        (51200, 0.023),
        (460800, 0.022),
        (88000, 0.021),
    ]
    assert sum(c["monthly"] for c in components) == pytest.approx(
        51200 * 0.023 + 460800 * 0.022 + 88000 * 0.021
    )
    assert components[0]["name"] == "Storage (first 51200 GB-Mo)"


def machines(name: str, replicas: int, usage: str = "") -> Resource:
    return Resource(
        ResourceKey("aws.kedge.dev/v1", "MachineDeployment", name),
        {"replicas": replicas, "template": {"imageId": "ami-12345678", "instanceType": "t3.medium"}},
        annotations={"kedge.dev/usage": usage} if usage else {},
    )


def test_business_hours_machines_are_not_billed_730_hours() -> None:
    # Priced from the list of resources directly: the estimators serve every caller alike.
    estimate = estimate_resources(
        [machines("workers", 3, "hoursPerMonth=220,volumeGB=20"), machines("always-on", 2)],
        load_catalog(None),
        lambda _: "us-east-1",
    )
    assert not estimate.diagnostics and not estimate.unpriced
    report = by_name(estimate.to_json())
    # 3 instances x 220 h x 0.0416 + 3 x 20 GB gp3 x 0.08
    assert report["workers"]["monthly"] == pytest.approx(3 * 220 * 0.0416 + 3 * 20 * 0.08)
    # defaults: 730 hours, an 8 GB root volume
    assert report["always-on"]["monthly"] == pytest.approx(2 * 730 * 0.0416 + 2 * 8 * 0.08)
    assert [c["name"] for c in report["workers"]["components"]] == [
        "Instances (t3.medium)",
        "Root volumes (gp3)",
    ]


def test_nat_gateway_hours_and_data() -> None:
    nat = Resource(
        ResourceKey("aws.kedge.dev/v1", "NATGateway", "egress"),
        {},
        annotations={"kedge.dev/usage": "dataGB=500"},
    )
    estimate = estimate_resources([nat], load_catalog(None), lambda _: "eu-west-1")
    assert estimate.total == pytest.approx(730 * 0.048 + 500 * 0.048)


def test_queues_topics_keys_zones_and_tables(cost_app, cost_json) -> None:
    app = cost_app(
        """
        apiVersion: aws.kedge.dev/v1
        kind: SQSQueue
        metadata: {name: jobs.fifo, annotations: {kedge.dev/usage: "requests=3000000"}}
        spec: {attributes: {FifoQueue: true}}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: SNSTopic
        metadata: {name: events, annotations: {kedge.dev/usage: "requests=2000000,httpDeliveries=1000000"}}
        spec: {}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: KMSKey
        metadata: {name: data, annotations: {kedge.dev/usage: "requests=100000"}}
        spec: {}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: Route53Zone
        metadata: {name: example.org, annotations: {kedge.dev/usage: "queries=1500000000"}}
        spec: {}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: DynamoDBTable
        metadata: {name: orders, annotations: {kedge.dev/usage: "storageGB=10,readRequests=4000000,writeRequests=1000000"}}
        spec:
          hashKey: id
          attributes: {id: S}
          billingMode: PAY_PER_REQUEST
        ---
        apiVersion: aws.kedge.dev/v1
        kind: IAMRole
        metadata: {name: reader}
        spec:
          assumeRolePolicy:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]
        """
    )
    report = by_name(cost_json(app))
    assert report["jobs.fifo"]["monthly"] == pytest.approx(3 * 0.50)
    assert report["events"]["monthly"] == pytest.approx(2 * 0.50 + 1 * 0.60)
    assert report["data"]["monthly"] == pytest.approx(1.00 + 10 * 0.03)
    # zone fee, then queries: first billion at 0.40 per million, the rest at 0.20 per million
    assert report["example.org"]["monthly"] == pytest.approx(0.50 + 1000 * 0.40 + 500 * 0.20)
    assert report["orders"]["monthly"] == pytest.approx(10 * 0.25 + 4 * 0.125 + 1 * 0.625)
    assert report["reader"] == {
        "apiVersion": "aws.kedge.dev/v1",
        "kind": "IAMRole",
        "name": "reader",
        "monthly": 0,
        "components": [],
    }


def test_provisioned_tables_pay_for_capacity_all_month(cost_app, cost_json) -> None:
    app = cost_app(
        """
        apiVersion: aws.kedge.dev/v1
        kind: DynamoDBTable
        metadata: {name: sessions}
        spec:
          hashKey: id
          attributes: {id: S}
          billingMode: PROVISIONED
          readCapacity: 10
          writeCapacity: 5
        """,
        region="eu-west-1",
    )
    report = cost_json(app)
    assert report["total"] == pytest.approx(10 * 730 * 0.000147 + 5 * 730 * 0.000735)


def test_region_changes_the_price(cost_app, cost_json) -> None:
    body = """
    apiVersion: aws.kedge.dev/v1
    kind: S3Bucket
    metadata: {name: logs, annotations: {kedge.dev/usage: "storageGB=1000"}}
    spec: {}
    """
    assert cost_json(cost_app(body, "us-east-1", "a"))["total"] == pytest.approx(23.0)
    assert cost_json(cost_app(body, "eu-central-1", "b"))["total"] == pytest.approx(24.5)


def test_azure_storage_and_gcs_buckets() -> None:
    catalog = load_catalog(None)
    container = Resource(
        ResourceKey("azure.kedge.dev/v1", "StorageContainer", "media"),
        {},
        annotations={"kedge.dev/usage": "storageGB=1000,writeOperations=200000,readOperations=1000000"},
    )
    bucket = Resource(
        ResourceKey("gcp.kedge.dev/v1", "GCSBucket", "logs"),
        {"location": "EU", "storageClass": "NEARLINE"},
        annotations={"kedge.dev/usage": "storageGB=500,classAOperations=10000"},
    )
    estimate = estimate_resources([container, bucket], catalog, lambda r: "westeurope")
    report = by_name(estimate.to_json())
    # Hot LRS in westeurope: 1000 GB x 0.0196, 20 x 10,000 writes x 0.065, 100 x 10,000 reads x 0.005
    assert report["media"]["monthly"] == pytest.approx(1000 * 0.0196 + 20 * 0.065 + 100 * 0.005)
    # Nearline in the EU multi-region: 500 GB x 0.010, 10,000 class A operations x 0.01 per 1,000
    assert report["logs"]["monthly"] == pytest.approx(500 * 0.010 + 10 * 0.010)


def test_a_gcs_storage_class_the_catalog_lacks_is_unpriced() -> None:
    bucket = Resource(ResourceKey("gcp.kedge.dev/v1", "GCSBucket", "cold"), {"location": "US", "storageClass": "ARCHIVE"})
    estimate = estimate_resources([bucket], load_catalog(None), lambda r: None)
    (unpriced,) = estimate.unpriced
    assert "'ARCHIVE' in us" in unpriced.reason and "NEARLINE, STANDARD" in unpriced.reason
