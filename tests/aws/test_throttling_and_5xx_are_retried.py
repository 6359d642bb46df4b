"""Throttling and server errors are retried by the SDK (its retry mode honoured); when the
retries run out the error is temporary, and an error is never read as "resource gone"."""

from __future__ import annotations

import pytest

from kedge.model import TemporaryError
from tests.aws.helpers import converge, observe, target


def vpc(client):
    t, _ = converge(client, target("VPC", "main", {"cidrBlock": "10.0.0.0/16"}))
    return t


@pytest.mark.parametrize(
    "service_op, code, status",
    [
        (r"^ec2:DescribeVpcs ", "RequestLimitExceeded", 503),
        (r"^ec2:DescribeVpcs ", "TooManyRequests", 429),
        (r"^ec2:DescribeVpcs ", "InternalError", 500),
        (r"^s3:.* GET /shop-assets\?versioning", "SlowDown", 503),
        (r"^dynamodb:DescribeTable ", "ThrottlingException", 400),
        (r"^iam:GetRole ", "Throttling", 400),
    ],
)
def test_a_short_storm_is_absorbed_by_sdk_retries(aws, fault_proxy, service_op, code, status):
    client = aws.connect(endpointURL=fault_proxy.url, maxAttempts=4)
    kind = {"ec2": "VPC", "s3": "S3Bucket", "dynamodb": "DynamoDBTable", "iam": "IAMRole"}[
        service_op[1:].split(":")[0]
    ]
    specs = {
        "VPC": ("main", {"cidrBlock": "10.0.0.0/16"}),
        "S3Bucket": ("shop-assets", {}),
        "DynamoDBTable": ("carts", {"hashKey": "id", "attributes": {"id": "S"}}),
        "IAMRole": (
            "shop-web",
            {
                "assumeRolePolicy": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ]
                }
            },
        ),
    }
    name, spec = specs[kind]
    t, _ = converge(client, target(kind, name, spec))
    fault_proxy.clear()
    rule = fault_proxy.add(service_op, code=code, status=status, times=1)
    observed = observe(client, t)
    assert observed.exists
    assert rule.hits == 1
    assert fault_proxy.count(service_op) == 2


def test_a_storm_over_a_batch_of_buckets_is_absorbed(aws, fault_proxy):
    client = aws.connect(endpointURL=fault_proxy.url, maxAttempts=5)
    targets = [target("S3Bucket", f"shop-{i:02d}", {"tags": {"n": str(i)}}) for i in range(8)]
    for t in targets:
        client.create(t)
    fault_proxy.clear()
    rule = fault_proxy.add(r"^s3:.* GET /shop-", code="SlowDown", status=503, times=16)
    observed = client.observe_many("S3Bucket", targets)
    assert rule.hits == 16
    assert all(
        o.exists and o.state["tags"] == {"n": t.spec["tags"]["n"]} for t, o in zip(targets, observed.values())
    )


def test_a_long_storm_is_a_temporary_error_not_a_missing_resource(aws, fault_proxy):
    client = aws.connect(endpointURL=fault_proxy.url, maxAttempts=2)
    t = vpc(client)
    fault_proxy.clear()
    fault_proxy.add(r"^ec2:DescribeVpcs ", code="RequestLimitExceeded", status=503)
    with pytest.raises(TemporaryError, match=r"VPC/main.*RequestLimitExceeded.*retries ran out"):
        client.observe_many("VPC", [t])
    assert fault_proxy.count(r"^ec2:DescribeVpcs ") == 2  # exactly maxAttempts


def test_500s_on_create_are_temporary_and_the_retry_does_not_duplicate(aws, fault_proxy):
    client = aws.connect(endpointURL=fault_proxy.url, maxAttempts=1)
    t = target("SecurityGroup", "web", {"vpc": vpc(client).outputs["id"]})
    # the server creates the group but the answer is lost: the next reconcile observes first
    fault_proxy.add(r"^ec2:CreateSecurityGroup ", action="drop-after", times=1)
    with pytest.raises(TemporaryError):
        client.create(t)
    observed = observe(client, t)
    assert observed.exists and observed.owner == "shop"
    groups = aws.boto("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": ["web"]}])
    assert len(groups["SecurityGroups"]) == 1


def test_sdk_retry_settings_from_the_environment_are_honoured(aws, fault_proxy, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    client = aws.connect(endpointURL=fault_proxy.url)  # no maxAttempts in the settings
    t = vpc(client)
    fault_proxy.clear()
    fault_proxy.add(r"^ec2:DescribeVpcs ", code="Throttling", status=400)
    with pytest.raises(TemporaryError):
        client.observe_many("VPC", [t])
    assert fault_proxy.count(r"^ec2:DescribeVpcs ") == 2


def test_adaptive_retry_mode_can_be_chosen(aws, fault_proxy):
    client = aws.connect(endpointURL=fault_proxy.url, retryMode="adaptive", maxAttempts=3)
    assert client.session.config.retries["mode"] == "adaptive"
    assert observe(client, vpc(client)).exists


def test_a_server_answering_html_is_temporary(aws, fault_proxy):
    client = aws.connect(endpointURL=fault_proxy.url, maxAttempts=2)
    t = vpc(client)
    fault_proxy.add(r"^ec2:DescribeVpcs ", action="html", status=502)
    with pytest.raises(TemporaryError, match=r"VPC/main.*not an API response"):
        client.observe_many("VPC", [t])
