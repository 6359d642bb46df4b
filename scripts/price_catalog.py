#!/usr/bin/env python3
"""Regenerate Kedge's price catalog from the public price list files, already downloaded.

    scripts/price_catalog.py --aws DIR [--azure FILE ...] [--gcs FILE ...] \
        [--regions us-east-1,eu-west-1] -o kedge/cost/data/prices.json

Inputs (nothing is fetched; download them first):
- ``--aws DIR``: AWS offer files (``index.json``), one per service and region, from
  ``https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<Offer>/current/<region>/index.json``
  for the offers AmazonS3, AmazonDynamoDB, AWSQueueService, AmazonSNS, awskms, AmazonRoute53,
  AmazonEC2 (any file names; each file says its ``offerCode``).
- ``--azure FILE``: pages of the Azure Retail Prices API
  (``https://prices.azure.com/api/retail/prices?$filter=serviceName eq 'Storage'``), as saved.
- ``--gcs FILE``: the Cloud Billing Catalog's SKUs of Cloud Storage
  (``https://cloudbilling.googleapis.com/v1/services/95FF-2EF5-5EA1/skus``), as saved.

Only the products the estimators ask for are kept (the selectors below), with their own
attributes and on-demand terms, plus Kedge's ``kedge:price`` / ``kedge:variant`` attributes.
Azure and Google prices are written in AWS's offer-file shape. The result is checked by
Kedge's own catalog parser before it is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

FORMAT = "kedge.dev/price-catalog/v1"

# (price id, offer code, attributes that must match, attribute naming the variant)
# A value starting with "*" matches a suffix (usage types carry a region prefix); "a|b" either.
AWS: list[tuple[str, str, dict[str, str], str]] = [
    ("s3.storage", "AmazonS3", {"productFamily": "Storage", "volumeType": "Standard"}, ""),
    ("s3.requests.tier1", "AmazonS3", {"productFamily": "API Request", "group": "S3-API-Tier1"}, ""),
    ("s3.requests.tier2", "AmazonS3", {"productFamily": "API Request", "group": "S3-API-Tier2"}, ""),
    (
        "dynamodb.writeRequests",
        "AmazonDynamoDB",
        {"productFamily": "Amazon DynamoDB PayPerRequest Throughput", "group": "DDB-WriteUnits"},
        "",
    ),
    (
        "dynamodb.readRequests",
        "AmazonDynamoDB",
        {"productFamily": "Amazon DynamoDB PayPerRequest Throughput", "group": "DDB-ReadUnits"},
        "",
    ),
    (
        "dynamodb.storage",
        "AmazonDynamoDB",
        {"productFamily": "Database Storage", "volumeType": "Amazon DynamoDB - Indexed DataStore"},
        "",
    ),
    (
        "dynamodb.writeCapacity",
        "AmazonDynamoDB",
        {"productFamily": "Provisioned IOPS", "group": "DDB-WriteUnits"},
        "",
    ),
    (
        "dynamodb.readCapacity",
        "AmazonDynamoDB",
        {"productFamily": "Provisioned IOPS", "group": "DDB-ReadUnits"},
        "",
    ),
    ("sqs.requests", "AWSQueueService", {"productFamily": "API Request", "queueType": "Standard"}, ""),
    (
        "sqs.requests.fifo",
        "AWSQueueService",
        {"productFamily": "API Request", "queueType": "FIFO (first-in, first-out)"},
        "",
    ),
    ("sns.requests", "AmazonSNS", {"productFamily": "API Request", "usagetype": "*Requests-Tier1"}, ""),
    ("sns.deliveries.http", "AmazonSNS", {"productFamily": "Message Delivery", "endpointType": "HTTP"}, ""),
    ("kms.key", "awskms", {"productFamily": "Encryption Key", "usagetype": "*KMS-Keys"}, ""),
    ("kms.requests", "awskms", {"productFamily": "API Request", "usagetype": "*KMS-Requests"}, ""),
    ("route53.zone", "AmazonRoute53", {"productFamily": "DNS Zone", "usagetype": "HostedZone"}, ""),
    ("route53.queries", "AmazonRoute53", {"productFamily": "DNS Query", "usagetype": "DNS-Queries"}, ""),
    (
        "ec2.instance",
        "AmazonEC2",
        {
            "productFamily": "Compute Instance",
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "preInstalledSw": "NA",
            "capacitystatus": "Used",
            "licenseModel": "No License required",
        },
        "instanceType",
    ),
    ("ebs.volume", "AmazonEC2", {"productFamily": "Storage", "volumeApiName": "gp3|gp2"}, "volumeApiName"),
    ("nat.hours", "AmazonEC2", {"productFamily": "NAT Gateway", "usagetype": "*NatGateway-Hours"}, ""),
    ("nat.data", "AmazonEC2", {"productFamily": "NAT Gateway", "usagetype": "*NatGateway-Bytes"}, ""),
]

# (price id, productName, skuName, meterName) of the Azure Retail Prices API
AZURE: list[tuple[str, str, str, str]] = [
    ("azure.blob.storage", "Blob Storage", "Hot LRS", "Hot LRS Data Stored"),
    ("azure.blob.writeOperations", "Blob Storage", "Hot LRS", "Hot LRS Write Operations"),
    ("azure.blob.readOperations", "Blob Storage", "Hot LRS", "Hot Read Operations"),
    ("azure.queue.storage", "Queues v2", "Standard LRS", "LRS Data Stored"),
    ("azure.queue.operations", "Queues v2", "Standard LRS", "Class 1 Operations"),
    ("azure.table.storage", "Tables", "Standard LRS", "LRS Data Stored"),
    ("azure.table.transactions", "Tables", "Standard LRS", "Batch Write Operations"),
]

# (price id, category.resourceGroup, variant) of the Cloud Billing Catalog
GCS: list[tuple[str, str, str]] = [
    ("gcs.storage", "RegionalStorage", "STANDARD"),
    ("gcs.storage", "MultiRegionalStorage", "STANDARD"),
    ("gcs.storage", "NearlineStorage", "NEARLINE"),
    ("gcs.classA", "ClassAOps", ""),
    ("gcs.classB", "ClassBOps", ""),
]
AZURE_SOURCE = "https://prices.azure.com/api/retail/prices?$filter=serviceName eq 'Storage'"
GCS_SOURCE = "https://cloudbilling.googleapis.com/v1/services/95FF-2EF5-5EA1/skus"


class InputError(Exception):
    pass


def _matches(attributes: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    for name, value in wanted.items():
        have = str(attributes.get(name, ""))
        if value.startswith("*"):
            if not have.endswith(value[1:]):
                return False
        elif have not in value.split("|"):
            return False
    return True


def _offer(offers: dict[str, Any], code: str, date: str, source: str) -> dict[str, Any]:
    return offers.setdefault(
        code,
        {
            "offerCode": code,
            "publicationDate": date,
            "source": source,
            "products": {},
            "terms": {"OnDemand": {}},
        },
    )


def add_aws(
    offers: dict[str, Any], document: Mapping[str, Any], source: str, regions: set[str] | None
) -> int:
    code = document.get("offerCode")
    if not isinstance(code, str) or not isinstance(document.get("products"), Mapping):
        raise InputError(f"{source}: not an AWS offer file (no offerCode/products)")
    terms = (document.get("terms") or {}).get("OnDemand") or {}
    kept = 0
    for sku, product in document["products"].items():
        attributes = {**product.get("attributes", {}), "productFamily": product.get("productFamily", "")}
        region = attributes.get("regionCode") or "global"
        if regions is not None and region != "global" and region not in regions:
            continue
        for price_id, offer_code, wanted, variant_of in AWS:
            if offer_code != code or not _matches(attributes, wanted) or sku not in terms:
                continue
            out = _offer(offers, code, str(document.get("publicationDate", "")), source)
            marked = dict(product.get("attributes", {}), **{"kedge:price": price_id})
            if variant_of:
                marked["kedge:variant"] = str(attributes.get(variant_of, ""))
            out["products"][sku] = {**product, "attributes": marked}
            out["terms"]["OnDemand"][sku] = terms[sku]
            kept += 1
            break
    return kept


def add_azure(offers: dict[str, Any], items: Iterable[Mapping[str, Any]], regions: set[str] | None) -> int:
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for item in items:
        if item.get("type") != "Consumption" or (
            regions is not None and item.get("armRegionName") not in regions
        ):
            continue
        for price_id, product, sku_name, meter in AZURE:
            if (item.get("productName"), item.get("skuName"), item.get("meterName")) == (
                product,
                sku_name,
                meter,
            ):
                groups.setdefault((price_id, str(item["armRegionName"])), []).append(item)
    for (price_id, region), tiers in groups.items():
        tiers.sort(key=lambda t: float(t.get("tierMinimumUnits", 0)))
        first = tiers[0]
        sku = f"{first.get('skuId', first.get('meterId'))}.{price_id}"
        date = str(first.get("effectiveStartDate", ""))[:10]
        out = _offer(offers, "AzureStorage", date, AZURE_SOURCE)
        attributes = {
            k: first.get(k) for k in ("serviceName", "productName", "skuName", "meterName", "armRegionName")
        }
        attributes.update({"regionCode": region, "kedge:price": price_id})
        out["products"][sku] = {"sku": sku, "productFamily": "Storage", "attributes": attributes}
        out["terms"]["OnDemand"][sku] = {f"{sku}.T": {"priceDimensions": _dimensions(sku, tiers, "azure")}}
    return len(groups)


def add_gcs(offers: dict[str, Any], skus: Iterable[Mapping[str, Any]], regions: set[str] | None) -> int:
    kept = 0
    for item in skus:
        category = item.get("category") or {}
        if category.get("resourceFamily") != "Storage" or category.get("usageType") != "OnDemand":
            continue
        for price_id, group, variant in GCS:
            if category.get("resourceGroup") != group:
                continue
            info = (item.get("pricingInfo") or [{}])[0].get("pricingExpression") or {}
            for region in item.get("serviceRegions") or []:
                region = str(region).lower()
                if regions is not None and region not in regions:
                    continue
                sku = f"{item.get('skuId')}.{region}"
                out = _offer(offers, "CloudStorage", str(item.get("effectiveTime", ""))[:10], GCS_SOURCE)
                attributes = {
                    "description": item.get("description"),
                    "resourceGroup": group,
                    "regionCode": region,
                    "kedge:price": price_id,
                    **({"kedge:variant": variant} if variant else {}),
                }
                out["products"][sku] = {"sku": sku, "productFamily": "Storage", "attributes": attributes}
                tiers = [
                    {
                        "tierMinimumUnits": rate.get("startUsageAmount", 0),
                        "unitOfMeasure": info.get("usageUnit", ""),
                        "retailPrice": int((rate.get("unitPrice") or {}).get("units", 0) or 0)
                        + int((rate.get("unitPrice") or {}).get("nanos", 0) or 0) / 1e9,
                    }
                    for rate in info.get("tieredRates") or []
                ]
                out["terms"]["OnDemand"][sku] = {
                    f"{sku}.T": {"priceDimensions": _dimensions(sku, tiers, "gcs")}
                }
                kept += 1
    return kept


def _dimensions(sku: str, tiers: list[Mapping[str, Any]], where: str) -> dict[str, Any]:
    if not tiers:
        raise InputError(f"{where}: SKU {sku} has no prices")
    out: dict[str, Any] = {}
    for index, tier in enumerate(tiers):
        end = tiers[index + 1].get("tierMinimumUnits") if index + 1 < len(tiers) else "Inf"
        out[f"{sku}.T.{index}"] = {
            "unit": str(tier.get("unitOfMeasure", "")),
            "beginRange": str(tier.get("tierMinimumUnits", 0)),
            "endRange": str(end),
            "pricePerUnit": {"USD": f"{float(tier['retailPrice']):.10f}"},
        }
    return out


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read JSON: {err}") from None


def build(
    aws_dir: Path | None, azure: list[Path], gcs: list[Path], regions: set[str] | None
) -> dict[str, Any]:
    offers: dict[str, Any] = {}
    if aws_dir is not None:
        if not aws_dir.is_dir():
            raise InputError(f"{aws_dir}: not a directory of AWS offer files")
        for path in sorted(aws_dir.glob("*.json")):
            add_aws(offers, _read_json(path), f"{path.name}", regions)
        for offer in offers.values():  # where it came from, as the public URL of its offer
            offer["source"] = (
                f"https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer['offerCode']}/current/index.json"
            )
    for path in azure:
        add_azure(offers, _read_json(path).get("Items") or [], regions)
    for path in gcs:
        add_gcs(offers, _read_json(path).get("skus") or [], regions)
    if not offers:
        raise InputError("no prices found in the inputs: give --aws, --azure or --gcs files")
    return {"formatVersion": FORMAT, "currency": "USD", "offers": offers}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aws", type=Path, help="directory of AWS offer files (index.json)")
    parser.add_argument("--azure", type=Path, action="append", default=[], help="Azure Retail Prices page")
    parser.add_argument(
        "--gcs", type=Path, action="append", default=[], help="Cloud Billing Catalog SKUs page"
    )
    parser.add_argument("--regions", help="keep only these regions (comma-separated)")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    regions = {r.strip() for r in args.regions.split(",")} if args.regions else None
    try:
        catalog = build(args.aws, args.azure, args.gcs, regions)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    from kedge.cost import CatalogError, parse_catalog  # Kedge must be able to read what is written

    try:
        parse_catalog(catalog, str(args.output))
    except CatalogError as err:
        print(f"error: the prices found do not make a valid catalog: {err}", file=sys.stderr)
        return 1
    args.output.write_text(json.dumps(catalog, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    count = sum(len(o["products"]) for o in catalog["offers"].values())
    print(f"wrote {count} prices from {len(catalog['offers'])} offers to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
