"""``scripts/price_catalog.py`` turns the public price list files into a catalog Kedge reads:
only the products the estimators ask for, in the regions asked for, with their own terms."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "price_catalog.py"


def term(sku: str, *tiers: tuple[str, str, str], unit: str = "GB-Mo") -> dict:
    return {
        f"{sku}.JRTCKXETXF": {
            "offerTermCode": "JRTCKXETXF",
            "sku": sku,
            "priceDimensions": {
                f"{sku}.JRTCKXETXF.{i}": {
                    "unit": unit,
                    "beginRange": b,
                    "endRange": e,
                    "pricePerUnit": {"USD": p},
                }
                for i, (b, e, p) in enumerate(tiers)
            },
        }
    }


S3_OFFER = {
    "formatVersion": "v1.0",
    "offerCode": "AmazonS3",
    "publicationDate": "2026-11-01T00:00:00Z",
    "products": {
        "STD": {
            "sku": "STD",
            "productFamily": "Storage",
            "attributes": {
                "regionCode": "us-east-1",
                "volumeType": "Standard",
                "usagetype": "USE1-TimedStorage-ByteHrs",
            },
        },
        "GLACIER": {
            "sku": "GLACIER",
            "productFamily": "Storage",
            "attributes": {"regionCode": "us-east-1", "volumeType": "Amazon Glacier"},
        },
        "TOKYO": {
            "sku": "TOKYO",
            "productFamily": "Storage",
            "attributes": {"regionCode": "ap-northeast-1", "volumeType": "Standard"},
        },
    },
    "terms": {
        "OnDemand": {
            "STD": term("STD", ("0", "51200", "0.0230000000"), ("51200", "Inf", "0.0220000000")),
            "GLACIER": term("GLACIER", ("0", "Inf", "0.0040000000")),
            "TOKYO": term("TOKYO", ("0", "Inf", "0.0250000000")),
        }
    },
}

EC2_OFFER = {
    "offerCode": "AmazonEC2",
    "publicationDate": "2026-11-01T00:00:00Z",
    "products": {
        "T3": {
            "sku": "T3",
            "productFamily": "Compute Instance",
            "attributes": {
                "regionCode": "us-east-1",
                "instanceType": "t3.micro",
                "operatingSystem": "Linux",
                "tenancy": "Shared",
                "preInstalledSw": "NA",
                "capacitystatus": "Used",
                "licenseModel": "No License required",
            },
        },
        "T3WIN": {
            "sku": "T3WIN",
            "productFamily": "Compute Instance",
            "attributes": {
                "regionCode": "us-east-1",
                "instanceType": "t3.micro",
                "operatingSystem": "Windows",
            },
        },
    },
    "terms": {
        "OnDemand": {
            "T3": term("T3", ("0", "Inf", "0.0104"), unit="Hrs"),
            "T3WIN": term("T3WIN", ("0", "Inf", "0.0196"), unit="Hrs"),
        }
    },
}

AZURE_PAGE = {
    "Items": [
        {
            "currencyCode": "USD",
            "tierMinimumUnits": 0.0,
            "retailPrice": 0.0184,
            "armRegionName": "eastus",
            "productName": "Blob Storage",
            "skuName": "Hot LRS",
            "meterName": "Hot LRS Data Stored",
            "serviceName": "Storage",
            "unitOfMeasure": "1 GB/Month",
            "type": "Consumption",
            "skuId": "DZH318Z0BNVX/003V",
            "effectiveStartDate": "2026-10-01T00:00:00Z",
        },
        {
            "currencyCode": "USD",
            "tierMinimumUnits": 51200.0,
            "retailPrice": 0.0177,
            "armRegionName": "eastus",
            "productName": "Blob Storage",
            "skuName": "Hot LRS",
            "meterName": "Hot LRS Data Stored",
            "serviceName": "Storage",
            "unitOfMeasure": "1 GB/Month",
            "type": "Consumption",
            "skuId": "DZH318Z0BNVX/003V",
            "effectiveStartDate": "2026-10-01T00:00:00Z",
        },
        {
            "retailPrice": 0.01,
            "tierMinimumUnits": 0.0,
            "armRegionName": "eastus",
            "productName": "Blob Storage",
            "skuName": "Hot LRS",
            "meterName": "Hot LRS Data Stored",
            "type": "Reservation",
        },
    ]
}

GCS_PAGE = {
    "skus": [
        {
            "skuId": "E5F0-6A5D-7BAD",
            "description": "Standard Storage US Multi-region",
            "category": {
                "resourceFamily": "Storage",
                "resourceGroup": "MultiRegionalStorage",
                "usageType": "OnDemand",
            },
            "serviceRegions": ["us"],
            "pricingInfo": [
                {
                    "pricingExpression": {
                        "usageUnit": "GiBy.mo",
                        "tieredRates": [
                            {"startUsageAmount": 0, "unitPrice": {"units": "0", "nanos": 26000000}}
                        ],
                    }
                }
            ],
            "effectiveTime": "2026-10-01T00:00:00Z",
        }
    ]
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT)


def test_the_catalog_keeps_only_what_the_estimators_ask_for(tmp_path, kedge) -> None:
    aws = tmp_path / "aws"
    aws.mkdir()
    (aws / "s3.json").write_text(json.dumps(S3_OFFER))
    (aws / "ec2.json").write_text(json.dumps(EC2_OFFER))
    (tmp_path / "azure.json").write_text(json.dumps(AZURE_PAGE))
    (tmp_path / "gcs.json").write_text(json.dumps(GCS_PAGE))
    out = tmp_path / "prices.json"
    result = run(
        "--aws",
        str(aws),
        "--azure",
        str(tmp_path / "azure.json"),
        "--gcs",
        str(tmp_path / "gcs.json"),
        "--regions",
        "us-east-1,eastus,us",
        "-o",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    catalog = json.loads(out.read_text())
    assert set(catalog["offers"]["AmazonS3"]["products"]) == {"STD"}, "Glacier and other regions left out"
    assert set(catalog["offers"]["AmazonEC2"]["products"]) == {"T3"}
    s3 = catalog["offers"]["AmazonS3"]
    assert s3["publicationDate"] == "2026-11-01T00:00:00Z" and "AmazonS3" in s3["source"]
    assert s3["products"]["STD"]["attributes"]["kedge:price"] == "s3.storage"
    assert catalog["offers"]["AmazonEC2"]["products"]["T3"]["attributes"]["kedge:variant"] == "t3.micro"
    assert catalog["offers"]["AzureStorage"]["publicationDate"] == "2026-10-01"

    from kedge.cost import parse_catalog

    parsed = parse_catalog(catalog, "prices.json")
    blob = parsed.price("azure.blob.storage", "eastus")
    assert blob is not None and [(t.begin, t.rate) for t in blob.tiers] == [(0, 0.0184), (51200, 0.0177)]
    gcs = parsed.price("gcs.storage", "us", "STANDARD")
    assert gcs is not None and gcs.tiers[0].rate == pytest.approx(0.026)

    app = tmp_path / "app"
    (app).mkdir()
    (app / "app.yaml").write_text(
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        "spec: {provider: aws, settings: {region: us-east-1}}\n---\n"
        "apiVersion: aws.kedge.dev/v1\nkind: S3Bucket\nmetadata:\n  name: logs\n"
        "  annotations: {kedge.dev/usage: storageGB=60000}\nspec: {}\n"
    )
    priced = kedge("cost", app, "-o", "json", "--catalog", out)
    assert priced.exit_code == 0, priced
    assert json.loads(priced.stdout)["total"] == pytest.approx(51200 * 0.023 + 8800 * 0.022)


def test_bad_inputs_are_refused_with_a_message(tmp_path) -> None:
    missing = run("--aws", str(tmp_path / "nope"), "-o", str(tmp_path / "out.json"))
    assert missing.returncode == 1 and "not a directory of AWS offer files" in missing.stderr
    (tmp_path / "junk.json").write_text("{")
    junk = run("--azure", str(tmp_path / "junk.json"), "-o", str(tmp_path / "out.json"))
    assert junk.returncode == 1 and "cannot read JSON" in junk.stderr
    assert not (tmp_path / "out.json").exists()


def test_the_shipped_catalog_is_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["kedge.cost"]
    assert any(fnmatch("data/prices.json", p) for p in patterns)
    assert (ROOT / "kedge" / "cost" / "data" / "prices.json").is_file()
