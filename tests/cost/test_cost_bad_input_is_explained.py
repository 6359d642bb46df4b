"""Bad input to ``kedge cost`` as a user meets it: a placed message and exit 1, or an unpriced
line with its reason (exit 0) where Kedge simply cannot price something."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write

BUCKET = """
apiVersion: aws.kedge.dev/v1
kind: S3Bucket
metadata:
  name: logs
  annotations: {{kedge.dev/usage: "{usage}"}}
spec: {{}}
"""


@pytest.mark.parametrize(
    "usage,fragments",
    [
        ("storageGb=100", ["resources.yaml:", "unknown usage key 'storageGb'", "did you mean 'storageGB'?"]),
        ("storageGB=-5", ["resources.yaml:", "storageGB: must be a number of zero or more"]),
        ("storageGB=lots", ["resources.yaml:", "storageGB: 'lots' is not a number"]),
        ("storageGB", ["resources.yaml:", "expects key=number items"]),
        ("storageGB=nan", ["resources.yaml:", "must be a number of zero or more"]),
    ],
    ids=["unknown-key", "negative", "not-a-number", "no-value", "nan"],
)
def test_bad_usage_is_an_error_at_the_resource(kedge, cost_app, usage, fragments) -> None:
    app = cost_app(BUCKET.format(usage=usage))
    for command in (("cost", app), ("cost", app, "-o", "json"), ("validate", app)):
        if command is None:
            continue
        result = kedge(*command)
        assert result.exit_code == 1, (command, result)
        assert "Traceback" not in result.output
        assert result.stdout == "", "no partial report"
        for fragment in fragments:
            assert fragment in result.stderr, (fragment, result.stderr)
        assert "kedge.dev/usage" in result.stderr


def test_unknown_usage_key_blocks_the_plan_too(kedge, cost_app) -> None:
    app = cost_app(BUCKET.format(usage="requets=10"))
    result = kedge("plan", app, "-o", "json")
    assert result.exit_code == 1, result
    messages = [d["message"] for d in json.loads(result.stdout)["diagnostics"]]
    assert any("unknown usage key 'requets'; did you mean 'requests'?" in m for m in messages), messages


def test_kinds_the_catalog_lacks_are_unpriced_not_errors(kedge, local_app) -> None:
    app, _ = local_app(
        """
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata: {name: motd}
        spec: {path: motd, content: hi}
        """
    )
    result = kedge("cost", app, "-o", "json")
    assert result.exit_code == 0, result
    report = json.loads(result.stdout)
    assert report["total"] == 0 and report["resources"] == []
    assert report["unpriced"] == [
        {
            "kind": "File",
            "name": "motd",
            "reason": "the price catalog has no prices for local.kedge.dev/v1 File",
        }
    ]
    text = kedge("cost", app)
    assert text.exit_code == 0 and "File/motd  unpriced" in text.stdout


def test_a_region_the_catalog_lacks_is_unpriced_with_the_reason(kedge, cost_app) -> None:
    app = cost_app(BUCKET.format(usage="storageGB=10"), region="ap-south-2")
    result = kedge("cost", app, "-o", "json")
    assert result.exit_code == 0, result
    (unpriced,) = json.loads(result.stdout)["unpriced"]
    assert unpriced["name"] == "logs"
    assert "region 'ap-south-2'" in unpriced["reason"] and "us-east-1" in unpriced["reason"]


def test_an_instance_type_the_catalog_lacks_names_the_ones_it_has(kedge, cost_app) -> None:
    from kedge.cost import estimate_resources
    from kedge.engine.cost import load_catalog
    from kedge.model import Resource, ResourceKey

    machines = Resource(
        ResourceKey("aws.kedge.dev/v1", "MachineDeployment", "gpu"),
        {"replicas": 1, "template": {"instanceType": "p5.48xlarge"}},
    )
    estimate = estimate_resources([machines], load_catalog(None), lambda _: "us-east-1")
    (unpriced,) = estimate.unpriced
    assert "'p5.48xlarge' in us-east-1" in unpriced.reason and "t3.micro" in unpriced.reason


def test_missing_catalog_file_is_a_clear_error(kedge, cost_app, tmp_path) -> None:
    app = cost_app(BUCKET.format(usage="storageGB=10"))
    result = kedge("cost", app, "--catalog", tmp_path / "nope.json")
    assert result.exit_code == 1
    assert "nope.json: no such price catalog file" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


@pytest.mark.parametrize(
    "text,fragments",
    [
        (
            '{"formatVersion": "kedge.dev/price-catalog/v1",\n "currency": "USD",\n "offers": {',
            ["catalog.json:3", "not valid JSON"],
        ),
        ("[1, 2]", ["catalog.json", "a JSON object"]),
        (
            '{"formatVersion": "x", "currency": "USD", "offers": {}}',
            ["formatVersion", "kedge.dev/price-catalog/v1"],
        ),
        (
            json.dumps(
                {
                    "formatVersion": "kedge.dev/price-catalog/v1",
                    "currency": "USD",
                    "offers": {
                        "AmazonS3": {
                            "publicationDate": "2025-01-01",
                            "source": "https://example.org",
                            "products": {"A": {"sku": "A", "attributes": {"kedge:price": "s3.storage"}}},
                            "terms": {
                                "OnDemand": {
                                    "A": {
                                        "A.T": {
                                            "priceDimensions": {
                                                "A.T.D": {
                                                    "unit": "GB-Mo",
                                                    "beginRange": "0",
                                                    "endRange": "Inf",
                                                    "pricePerUnit": {"USD": "cheap"},
                                                }
                                            }
                                        }
                                    }
                                }
                            },
                        }
                    },
                }
            ),
            ["offers.AmazonS3.terms.OnDemand.A.priceDimensions.A.T.D.pricePerUnit", "non-negative USD price"],
        ),
    ],
    ids=["truncated-json", "not-an-object", "wrong-format", "price-not-a-number"],
)
def test_malformed_catalog_is_a_clear_error(kedge, cost_app, tmp_path, text, fragments) -> None:
    app = cost_app(BUCKET.format(usage="storageGB=10"))
    catalog = write(tmp_path / "catalog.json", text)
    result = kedge("cost", app, "--catalog", catalog)
    assert result.exit_code == 1, result
    assert "Traceback" not in result.output and result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def test_a_replacement_catalog_is_used(kedge, cost_app, tmp_path) -> None:
    catalog = {
        "formatVersion": "kedge.dev/price-catalog/v1",
        "currency": "EUR",
        "offers": {
            "AmazonS3": {
                "publicationDate": "2026-01-01",
                "source": "negotiated rates",
                "products": {
                    "A": {"sku": "A", "attributes": {"kedge:price": "s3.storage", "regionCode": "us-east-1"}}
                },
                "terms": {
                    "OnDemand": {
                        "A": {
                            "A.T": {
                                "priceDimensions": {
                                    "A.T.1": {
                                        "unit": "GB-Mo",
                                        "beginRange": "0",
                                        "endRange": "10",
                                        "pricePerUnit": {"EUR": "1"},
                                    },
                                    "A.T.2": {
                                        "unit": "GB-Mo",
                                        "beginRange": "10",
                                        "endRange": "Inf",
                                        "pricePerUnit": {"EUR": "0.5"},
                                    },
                                }
                            }
                        }
                    }
                },
            }
        },
    }
    path = write(tmp_path / "rates.json", json.dumps(catalog))
    app = cost_app(BUCKET.format(usage="storageGB=30"))
    result = kedge("cost", app, "-o", "json", "--catalog", path)
    assert result.exit_code == 0, result
    report = json.loads(result.stdout)
    assert report["currency"] == "EUR"
    assert report["total"] == 10 * 1 + 20 * 0.5
