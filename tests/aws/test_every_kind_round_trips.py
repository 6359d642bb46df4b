"""Every AWS kind: apply -> plan empty; an out-of-band change is seen as drift and reverted.

Each case creates what the kind needs (a VPC for a subnet, a zone for a record) through Kedge's
own client, changes the real resource behind Kedge's back with plain boto3, and checks that
exactly the expected fields drift and that one update brings the plan back to empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.aws.helpers import converge, diff, observe, target

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::shop-assets/*"}],
}
WIDE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass
class Case:
    kind: str
    name: str
    spec: Callable[[dict[str, Any]], dict[str, Any]]  # deps' outputs -> spec
    change: Callable[[Any, dict[str, Any]], None]  # (aws, outputs) -> out-of-band change
    drifted: set[str]
    deps: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (kind, name, spec)
    owned: bool = True  # carries ownership tags


def untag_ec2(aws, rid, key="team"):
    aws.boto("ec2").delete_tags(Resources=[rid], Tags=[{"Key": key}])


CASES = [
    Case(
        "IAMRole",
        "shop-web",
        lambda d: {"assumeRolePolicy": TRUST, "inlinePolicies": {"read": READ_ONLY}, "tags": {"team": "web"}},
        lambda aws, o: (
            aws.boto("iam").put_role_policy(
                RoleName="shop-web", PolicyName="read", PolicyDocument=json.dumps(WIDE)
            ),
            aws.boto("iam").untag_role(RoleName="shop-web", TagKeys=["team"]),
        ),
        {"inlinePolicies", "tags"},
    ),
    Case(
        "IAMPolicy",
        "shop-read",
        lambda d: {"document": READ_ONLY, "description": "read assets"},
        lambda aws, o: aws.boto("iam").create_policy_version(
            PolicyArn=o["arn"], PolicyDocument=json.dumps(WIDE), SetAsDefault=True
        ),
        {"document"},
    ),
    Case(
        "VPC",
        "main",
        lambda d: {"cidrBlock": "10.0.0.0/16", "enableDnsHostnames": True, "tags": {"team": "net"}},
        lambda aws, o: (
            aws.boto("ec2").modify_vpc_attribute(VpcId=o["id"], EnableDnsHostnames={"Value": False}),
            untag_ec2(aws, o["id"]),
        ),
        {"enableDnsHostnames", "tags"},
    ),
    Case(
        "Subnet",
        "a",
        lambda d: {"vpc": d["VPC/main"]["id"], "cidrBlock": "10.0.1.0/24", "availabilityZone": "us-east-1a"},
        lambda aws, o: aws.boto("ec2").modify_subnet_attribute(
            SubnetId=o["id"], MapPublicIpOnLaunch={"Value": True}
        ),
        {"mapPublicIpOnLaunch"},
        deps=[("VPC", "main", {"cidrBlock": "10.0.0.0/16"})],
    ),
    Case(
        "SecurityGroup",
        "web",
        lambda d: {
            "vpc": d["VPC/main"]["id"],
            "ingress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrs": ["0.0.0.0/0"]},
                {"protocol": "tcp", "fromPort": 22, "cidrs": ["10.0.0.0/8", "192.168.0.0/16"]},
            ],
        },
        lambda aws, o: aws.boto("ec2").authorize_security_group_ingress(
            GroupId=o["id"],
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        ),
        {"ingress"},
        deps=[("VPC", "main", {"cidrBlock": "10.0.0.0/16"})],
    ),
    Case(
        "SQSQueue",
        "orders",
        lambda d: {"attributes": {"VisibilityTimeout": 60, "DelaySeconds": 0}, "tags": {"team": "shop"}},
        lambda aws, o: aws.boto("sqs").set_queue_attributes(
            QueueUrl=o["url"], Attributes={"VisibilityTimeout": "10"}
        ),
        {"attributes"},
    ),
    Case(
        "SNSTopic",
        "events",
        lambda d: {"attributes": {"DisplayName": "Shop events"}, "tags": {"team": "shop"}},
        lambda aws, o: (
            aws.boto("sns").set_topic_attributes(
                TopicArn=o["arn"], AttributeName="DisplayName", AttributeValue="x"
            ),
            aws.boto("sns").untag_resource(ResourceArn=o["arn"], TagKeys=["team"]),
        ),
        {"attributes", "tags"},
    ),
    Case(
        "DynamoDBTable",
        "carts",
        lambda d: {
            "hashKey": "id",
            "rangeKey": "at",
            "attributes": {"id": "S", "at": "N"},
            "tags": {"team": "shop"},
        },
        lambda aws, o: aws.boto("dynamodb").update_continuous_backups(
            TableName="carts", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        ),
        {"pointInTimeRecovery"},
    ),
    Case(
        "KMSKey",
        "data",
        lambda d: {"description": "shop data", "alias": "alias/shop-data", "enableKeyRotation": True},
        lambda aws, o: aws.boto("kms").disable_key_rotation(KeyId=o["id"]),
        {"enableKeyRotation"},
    ),
    Case(
        "Route53Zone",
        "shop.example.com",
        lambda d: {"comment": "shop", "tags": {"team": "dns"}},
        lambda aws, o: aws.boto("route53").change_tags_for_resource(
            ResourceType="hostedzone", ResourceId=o["id"], RemoveTagKeys=["team"]
        ),
        {"tags"},
    ),
    Case(
        "Route53Record",
        "www",
        lambda d: {
            "zone": d["Route53Zone/shop.example.com"]["id"],
            "name": "www.shop.example.com",
            "type": "A",
            "records": ["192.0.2.10", "192.0.2.11"],
        },
        lambda aws, o: aws.boto("route53").change_resource_record_sets(
            HostedZoneId=o["zone"],
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": "www.shop.example.com",
                            "Type": "A",
                            "TTL": 300,
                            "ResourceRecords": [{"Value": "203.0.113.66"}],
                        },
                    }
                ]
            },
        ),
        {"records"},
        deps=[("Route53Zone", "shop.example.com", {})],
        owned=False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_kind_round_trips_and_drift_is_reverted(aws, case):
    client = aws.connect()
    outputs: dict[str, dict[str, Any]] = {}
    for kind, name, spec in case.deps:
        dep, _ = converge(client, target(kind, name, spec))
        outputs[f"{kind}/{name}"] = dict(dep.outputs)

    t, observed = converge(client, target(case.kind, case.name, case.spec(outputs)))
    assert observed.exists
    assert diff(t, observed) == [], "plan after apply must be empty"
    if case.owned:
        assert observed.owner == "shop"

    context = {**t.outputs, "zone": t.spec.get("zone")}
    case.change(aws, context)
    drifted = observe(client, t)
    assert {c.path for c in diff(t, drifted)} == case.drifted

    client.update(t, drifted, diff(t, drifted))
    assert diff(t, observe(client, t)) == []
