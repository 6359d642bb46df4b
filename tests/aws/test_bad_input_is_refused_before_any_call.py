"""Input that AWS refuses (or that the test server wrongly accepts) is refused locally first,
with a ConfigError naming the resource and the field, and no call that changes anything."""

from __future__ import annotations

import pytest

from kedge.model import UNKNOWN, ConfigError, Observation, Secret
from tests.aws.helpers import target


def creates(client) -> int:
    return sum(n for op, n in client.session.calls.items() if op.startswith(("Create", "Put", "Authorize")))


@pytest.mark.parametrize(
    "name, reason",
    [
        ("ab", "too short"),
        ("a" * 64, "too long"),
        ("Shop-Assets", "uppercase"),
        ("shop_assets", "underscore"),
        ("-shop", "starts with a hyphen"),
        ("shop..assets", "two adjacent periods"),
        ("192.168.1.10", "looks like an IP address"),
        ("xn--shop", "reserved prefix"),
        ("shop-s3alias", "reserved suffix"),
    ],
)
def test_invalid_bucket_names_are_refused(aws, name, reason):
    client = aws.connect()
    t = target("S3Bucket", "assets", {}, external_name=name)
    assert client.observe_many("S3Bucket", [t])[t.key].exists is False  # cannot exist: no call needed
    with pytest.raises(ConfigError, match="invalid bucket name") as err:
        client.create(t)
    assert name in str(err.value) and "S3Bucket/assets" in str(err.value)
    assert client.api_calls == 0, reason


POLICY_CASES = [
    ("S3Bucket", "shop-logs", "policy", '{"Statement": [', "not valid JSON"),
    (
        "S3Bucket",
        "shop-logs",
        "policy",
        {
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shop-logs/*"}
            ]
        },
        "Principal is missing",
    ),
    (
        "S3Bucket",
        "shop-logs",
        "policy",
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::other/*",
                }
            ]
        },
        "is not arn:aws:s3:::shop-logs",
    ),
    (
        "IAMPolicy",
        "shop-read",
        "document",
        {"Version": "2012-10-17", "Statement": [{"Action": "s3:GetObject", "Resource": "*"}]},
        "Effect must be Allow or Deny",
    ),
    (
        "IAMPolicy",
        "shop-read",
        "document",
        {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]},
        "Version must be 2012-10-17 for a managed policy",
    ),
    (
        "IAMPolicy",
        "shop-read",
        "document",
        {"Version": "2020-01-01", "Statement": [{"Effect": "Allow", "Action": "s3 get", "Resource": "*"}]},
        "Version must be one of",
    ),
    (
        "IAMRole",
        "shop-web",
        "assumeRolePolicy",
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "s3:*",
                    "Resource": "*",
                }
            ]
        },
        "Resource is not allowed in a trust policy",
    ),
]


@pytest.mark.parametrize("kind, name, field, document, message", POLICY_CASES)
def test_malformed_policy_documents_are_refused(aws, kind, name, field, document, message):
    client = aws.connect()
    spec = {field: document}
    if kind == "IAMRole":
        spec = {"assumeRolePolicy": document}
    t = target(kind, name, spec)
    with pytest.raises(ConfigError) as err:
        client.create(t)
    assert message in str(err.value)
    assert f"{kind}/{name}: spec.{field}" in str(err.value)
    assert creates(client) == 0


def test_inline_role_policy_is_checked_too(aws):
    client = aws.connect()
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    bad = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}
    t = target("IAMRole", "shop-web", {"assumeRolePolicy": trust, "inlinePolicies": {"read": bad}})
    with pytest.raises(ConfigError, match=r"spec.inlinePolicies.read: .*Principal is not allowed"):
        client.create(t)
    assert aws.boto("iam").list_roles()["Roles"] == []


def test_duplicate_security_group_rule_is_refused(aws):
    client = aws.connect()
    vpc = client.create(target("VPC", "main", {"cidrBlock": "10.0.0.0/16"}))
    rules = [
        {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrs": ["0.0.0.0/0", "10.0.0.0/8"]},
        {"protocol": "6", "fromPort": 443, "cidrs": ["10.0.0.0/8"]},
    ]
    t = target("SecurityGroup", "web", {"vpc": vpc.outputs["id"], "ingress": rules})
    with pytest.raises(ConfigError) as err:
        client.create(t)
    assert "spec.ingress[1]" in str(err.value) and "already in ingress[0]" in str(err.value)
    groups = aws.boto("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": ["web"]}])
    assert groups["SecurityGroups"] == []


def test_reference_to_a_resource_that_was_not_created_is_refused(aws):
    client = aws.connect()
    t = target("Subnet", "a", {"vpc": UNKNOWN, "cidrBlock": "10.0.1.0/24"})
    with pytest.raises(ConfigError, match=r"Subnet/a: spec.vpc: refers to an output that is not known"):
        client.create(t)
    assert client.api_calls == 0


def test_reference_to_a_vpc_that_does_not_exist_names_the_field(aws):
    client = aws.connect()
    t = target("Subnet", "a", {"vpc": "vpc-0123456789abcdef0", "cidrBlock": "10.0.1.0/24"})
    with pytest.raises(ConfigError, match=r"Subnet/a: spec.vpc: VPC vpc-0123456789abcdef0 does not exist"):
        client.create(t)


def test_region_mismatch_is_refused(aws):
    client = aws.connect()
    bucket = target("S3Bucket", "shop-eu", {"region": "eu-west-1"})
    with pytest.raises(ConfigError, match=r"S3Bucket/shop-eu: spec.region: eu-west-1 differs .* us-east-1"):
        client.create(bucket)
    subnet = target(
        "Subnet", "a", {"vpc": "vpc-1", "cidrBlock": "10.0.1.0/24", "availabilityZone": "eu-west-1a"}
    )
    with pytest.raises(ConfigError, match=r"spec.availabilityZone: eu-west-1a is not in .* us-east-1"):
        client.create(subnet)
    assert client.api_calls == 0


def test_bucket_living_in_another_region_is_reported_not_taken_over(aws):
    aws.boto("s3", region="eu-west-1").create_bucket(
        Bucket="shop-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    client = aws.connect()
    t = target("S3Bucket", "shop-eu", {})
    with pytest.raises(
        ConfigError, match=r"exists in eu-west-1, not in the ProviderConfig's region us-east-1"
    ):
        client.observe_many("S3Bucket", [t])


def test_secret_values_never_appear_in_errors(aws):
    client = aws.connect()
    secret = Secret("10.0.0.999-hunter2", "fromEnv DNS_TARGET")
    t = target(
        "Route53Record", "www", {"zone": "Z1", "name": "www.example.com", "type": "A", "records": [secret]}
    )
    with pytest.raises(ConfigError) as err:
        client.create(t)
    assert "hunter2" not in str(err.value)
    assert "spec.records[0]" in str(err.value)


def test_preview_shows_calls_and_refuses_bad_input(aws):
    client = aws.connect()
    good = target("S3Bucket", "shop-assets", {"versioning": True})
    assert "s3:CreateBucket" in client.preview(good, Observation.missing(), [])
    with pytest.raises(ConfigError):
        client.preview(target("S3Bucket", "Bad_Name", {}), Observation.missing(), [])
