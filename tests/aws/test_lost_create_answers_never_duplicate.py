"""A create whose answer is lost is retried by the SDK; for resources AWS names (no
idempotency token) that retry must still leave exactly one resource, the one Kedge records."""

from __future__ import annotations

import pytest

from tests.aws.helpers import converge, observe, target


def count(aws, kind):
    ec2 = aws.boto("ec2")
    owned = [{"Name": "tag:kedge.dev/app", "Values": ["shop"]}]
    if kind == "VPC":
        return len(ec2.describe_vpcs(Filters=owned)["Vpcs"])
    if kind == "Subnet":
        return len(ec2.describe_subnets(Filters=owned)["Subnets"])
    if kind == "SecurityGroup":
        return len(ec2.describe_security_groups(Filters=owned)["SecurityGroups"])
    return len(aws.boto("route53").list_hosted_zones()["HostedZones"])


@pytest.mark.parametrize(
    "kind, name, spec, operation",
    [
        ("VPC", "main", {"cidrBlock": "10.0.0.0/16"}, r"^ec2:CreateVpc "),
        ("Subnet", "a", {"cidrBlock": "10.0.1.0/24"}, r"^ec2:CreateSubnet "),
        ("SecurityGroup", "web", {}, r"^ec2:CreateSecurityGroup "),
        ("Route53Zone", "shop.example.com", {}, r"^route53:.* POST /2013-04-01/hostedzone$"),
    ],
)
def test_lost_answer_then_sdk_retry_leaves_one(aws, fault_proxy, kind, name, spec, operation):
    client = aws.connect(endpointURL=fault_proxy.url, maxAttempts=3)
    if kind in ("Subnet", "SecurityGroup"):
        vpc, _ = converge(client, target("VPC", "main", {"cidrBlock": "10.0.0.0/16"}))
        spec = {**spec, "vpc": vpc.outputs["id"]}
    before = count(aws, kind)
    rule = fault_proxy.add(operation, action="drop-after", times=1)

    made = client.create(target(kind, name, spec))

    assert rule.hits == 1
    assert count(aws, kind) == before + 1
    observed = observe(client, target(kind, name, spec))
    assert observed.exists and observed.outputs["id"] == made.outputs["id"]
