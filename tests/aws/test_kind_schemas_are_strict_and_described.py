"""Every AWS kind publishes a strict JSON Schema with a description per field, and its outputs."""

from __future__ import annotations

import jsonschema
import pytest

from kedge.providers import registry
from kedge.providers.aws import provider

KINDS = [
    "S3Bucket",
    "IAMRole",
    "IAMPolicy",
    "VPC",
    "Subnet",
    "SecurityGroup",
    "SQSQueue",
    "SNSTopic",
    "DynamoDBTable",
    "KMSKey",
    "Route53Zone",
    "Route53Record",
    "MachineDeployment",
    "CloudFormationStack",
]


def undescribed(schema, path=""):
    for name, sub in (schema.get("properties") or {}).items():
        if "description" not in sub:
            yield path + name
        yield from undescribed(sub, f"{path}{name}.")
        if isinstance(sub.get("items"), dict):
            yield from undescribed(sub["items"], f"{path}{name}[].")


def test_the_provider_serves_exactly_the_issue_kinds():
    assert sorted(provider.kinds) == sorted(KINDS)
    assert registry.get("aws").kinds.keys() == provider.kinds.keys()


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_strict_described_and_valid(kind):
    spec = provider.kinds[kind]
    jsonschema.Draft202012Validator.check_schema(spec.schema)
    assert spec.schema["additionalProperties"] is False
    assert list(undescribed(spec.schema)) == []
    assert spec.outputs, "fromResource needs documented outputs"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"noSuchField": 1}, spec.schema)


def test_aws_named_kinds_expose_their_id():
    for kind in ("VPC", "Subnet", "SecurityGroup", "KMSKey", "Route53Zone"):
        assert "id" in provider.kinds[kind].outputs
    assert {"url", "arn"} <= set(provider.kinds["SQSQueue"].outputs)
    assert provider.kinds["VPC"].replace_on == {"cidrBlock", "instanceTenancy"}
    assert {"hashKey", "rangeKey"} <= provider.kinds["DynamoDBTable"].replace_on
