"""End to end through the ``kedge`` command: manifests in a directory, the AWS test server
behind the ProviderConfig, credentials from the environment."""

from __future__ import annotations

import json

from tests.conftest import write

NETWORK = """
apiVersion: aws.kedge.dev/v1
kind: Subnet
metadata: {name: a}
spec:
  vpc: {fromResource: {kind: VPC, name: main, field: id}}
  cidrBlock: 10.0.1.0/24
  availabilityZone: us-east-1a
---
apiVersion: aws.kedge.dev/v1
kind: SecurityGroup
metadata: {name: web}
spec:
  vpc: {fromResource: {kind: VPC, name: main, field: id}}
  ingress:
    - {protocol: tcp, fromPort: 443, cidrs: [0.0.0.0/0]}
    - {protocol: tcp, fromPort: 22, cidrs: [10.0.0.0/8]}
---
apiVersion: aws.kedge.dev/v1
kind: VPC
metadata: {name: main}
spec:
  cidrBlock: 10.0.0.0/16
  tags: {team: net}
---
apiVersion: aws.kedge.dev/v1
kind: S3Bucket
metadata: {name: shop-assets-e2e}
spec:
  versioning: true
  tags: {team: web}
---
apiVersion: aws.kedge.dev/v1
kind: SQSQueue
metadata: {name: orders}
spec:
  attributes: {VisibilityTimeout: 60}
"""


def app_dir(tmp_path, aws, body: str, endpoint: str | None = None):
    app = tmp_path / "shop"
    write(
        app / "provider.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec:
          provider: aws
          settings: {{region: us-east-1, endpointURL: "{endpoint or aws.endpoint}"}}
        """,
    )
    (app / "resources.yaml").write_text(body)
    return app


def summary(kedge, app, *options: str) -> dict:
    plan = kedge("plan", app, "-o", "json", *options)
    assert plan.exit_code == 0, plan
    return json.loads(plan.stdout)["summary"]


def test_apply_orders_references_and_then_plan_is_empty(kedge, tmp_path, aws):
    app = app_dir(tmp_path, aws, NETWORK)
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    assert summary(kedge, app) == {"create": 0, "update": 0, "replace": 0, "delete": 0, "noop": 5}

    ec2 = aws.boto("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:kedge.dev/resource", "Values": ["VPC/main"]}])["Vpcs"]
    assert len(vpcs) == 1
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:kedge.dev/resource", "Values": ["Subnet/a"]}])[
        "Subnets"
    ]
    assert subnets[0]["VpcId"] == vpcs[0]["VpcId"]


def test_drift_is_reported_and_reverted(kedge, tmp_path, aws):
    app = app_dir(tmp_path, aws, NETWORK)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    aws.boto("s3").put_bucket_versioning(
        Bucket="shop-assets-e2e", VersioningConfiguration={"Status": "Suspended"}
    )
    group = aws.boto("ec2").describe_security_groups(
        Filters=[{"Name": "tag:kedge.dev/resource", "Values": ["SecurityGroup/web"]}]
    )["SecurityGroups"][0]
    aws.boto("ec2").authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )

    drift = kedge("drift", app, "-o", "json")
    assert drift.exit_code == 2, drift
    drifted = {(d["kind"], f["path"]) for d in json.loads(drift.stdout)["drifted"] for f in d["fields"]}
    assert drifted == {("S3Bucket", "versioning"), ("SecurityGroup", "ingress")}

    assert kedge("apply", app, "--auto-approve").exit_code == 0
    assert summary(kedge, app)["update"] == 0
    assert aws.boto("s3").get_bucket_versioning(Bucket="shop-assets-e2e")["Status"] == "Enabled"


def test_a_failed_vpc_stops_its_dependants_with_a_clear_message(kedge, tmp_path, aws):
    app = app_dir(tmp_path, aws, NETWORK.replace("cidrBlock: 10.0.0.0/16", "cidrBlock: 10.0.0.0/8"))
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 1, result
    assert "VPC/main: spec.cidrBlock: a VPC's range must be /16 to /28, not /8" in result.output
    assert (
        aws.boto("ec2").describe_subnets(Filters=[{"Name": "tag:kedge.dev/app", "Values": ["shop"]}])[
            "Subnets"
        ]
        == []
    )
