"""MachineDeployment on the AWS test server, through the ``kedge`` command: instances are
launched, stopped and terminated behind Kedge's back, and a template change rolls them."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write


@pytest.fixture
def network(aws):
    ec2 = aws.boto("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
    images = [ec2.register_image(Name=f"node-{v}", RootDeviceName="/dev/xvda")["ImageId"] for v in (1, 2)]
    return {"subnet": subnet, "group": group, "images": images}


def write_provider(app, aws):
    write(
        app / "provider.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec:
          provider: aws
          settings: {{region: us-east-1, endpointURL: "{aws.endpoint}"}}
        """,
    )


def app_dir(tmp_path, aws, network, replicas=3, image=0, instance_type="t3.micro", extra=""):
    app = tmp_path / "cluster"
    write_provider(app, aws)
    image_id = network["images"][image] if isinstance(image, int) else image
    (app / "workers.yaml").write_text(
        f"""apiVersion: aws.kedge.dev/v1
kind: MachineDeployment
metadata: {{name: workers}}
spec:
  replicas: {replicas}
  template:
    imageId: {image_id}
    instanceType: {instance_type}
    subnet: {network["subnet"]}
    securityGroups: [{network["group"]}]
    userData: "#cloud-config\\n"
    tags: {{role: worker}}
{extra}"""
    )
    return app


def instances(aws, states=("pending", "running", "stopping", "stopped")):
    pages = aws.boto("ec2").describe_instances(
        Filters=[
            {"Name": "tag:kedge.dev/resource", "Values": ["MachineDeployment/workers"]},
            {"Name": "instance-state-name", "Values": list(states)},
        ]
    )
    return [i for r in pages["Reservations"] for i in r["Instances"]]


def plan(kedge, app):
    result = kedge("plan", app, "-o", "json")
    assert result.exit_code == 0, result
    return json.loads(result.stdout)


def test_apply_launches_replicas_and_then_plan_is_empty(kedge, tmp_path, aws, network):
    app = app_dir(tmp_path, aws, network)
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    running = instances(aws)
    assert len(running) == 3
    for item in running:
        assert item["ImageId"] == network["images"][0] and item["SubnetId"] == network["subnet"]
        tags = {t["Key"]: t["Value"] for t in item["Tags"]}
        assert tags["role"] == "worker" and tags["kedge.dev/app"] == "cluster"
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0


def test_stopped_and_terminated_instances_are_drift_and_are_replaced(kedge, tmp_path, aws, network):
    app = app_dir(tmp_path, aws, network)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    ids = sorted(i["InstanceId"] for i in instances(aws))
    ec2 = aws.boto("ec2")
    ec2.stop_instances(InstanceIds=[ids[0]])
    ec2.terminate_instances(InstanceIds=[ids[1]])

    drift = kedge("drift", app, "-o", "json")
    assert drift.exit_code == 2, drift
    fields = json.loads(drift.stdout)["drifted"][0]["fields"]
    assert {"path": "replicas", "desired": 3, "actual": 1} in fields

    shown = kedge("plan", app)
    assert f"ec2:TerminateInstances {ids[0]} (remediation: {ids[0]} is stopped)" in shown.output, shown
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    assert f"terminating {ids[0]} (remediation: {ids[0]} is stopped)" in result.stderr  # progress
    now = instances(aws)
    assert len(now) == 3 and all(i["State"]["Name"] == "running" for i in now)
    assert ids[2] in {i["InstanceId"] for i in now}  # the healthy one was left alone
    assert ids[0] not in {i["InstanceId"] for i in now}  # the stopped one was replaced
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0


def test_too_many_unhealthy_pauses_remediation_and_names_them(kedge, tmp_path, aws, network):
    app = app_dir(tmp_path, aws, network, extra="  healthCheck: {maxUnhealthy: 1}\n")
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    ids = sorted(i["InstanceId"] for i in instances(aws))
    aws.boto("ec2").stop_instances(InstanceIds=ids[:2])

    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    assert "RemediationPaused" in result.output
    assert ids[0] in result.output and ids[1] in result.output
    # nothing was replaced: the two stopped instances are still there, stopped
    assert sorted(i["InstanceId"] for i in instances(aws, ("stopped",))) == ids[:2]
    warnings = [d for d in plan(kedge, app)["diagnostics"] if d["severity"] == "warning"]
    assert any("RemediationPaused" in d["message"] and d["file"].endswith("workers.yaml") for d in warnings)


def test_template_change_rolls_every_instance(kedge, tmp_path, aws, network):
    app = app_dir(tmp_path, aws, network)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    before = {i["InstanceId"] for i in instances(aws)}

    app = app_dir(tmp_path, aws, network, image=1)
    shown = plan(kedge, app)
    change = shown["changes"][0]
    assert change["action"] == "update"
    assert {"path": "template.imageId", "before": network["images"][0], "after": network["images"][1]} in change["diff"]

    assert kedge("apply", app, "--auto-approve").exit_code == 0
    after = instances(aws)
    assert len(after) == 3
    assert not before & {i["InstanceId"] for i in after}
    assert {i["ImageId"] for i in after} == {network["images"][1]}
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0


def test_tag_drift_is_fixed_in_place(kedge, tmp_path, aws, network):
    app = app_dir(tmp_path, aws, network, replicas=2)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    ids = sorted(i["InstanceId"] for i in instances(aws))
    aws.boto("ec2").create_tags(Resources=[ids[0]], Tags=[{"Key": "role", "Value": "db"}])
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 2
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    assert sorted(i["InstanceId"] for i in instances(aws)) == ids  # no instance replaced
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize(
    "kwargs,field,words",
    [
        ({"image": "ami-00000000deadbeef"}, "spec.template.imageId", "does not exist"),
        ({"instance_type": "t9.gigantic"}, "spec.template.instanceType", "does not exist"),
        ({"replicas": -1}, "spec.replicas", ">= 0"),
        ({"extra": "  strategy: {maxSurge: 0, maxUnavailable: 0}\n"}, "spec.strategy", "both 0"),
    ],
)
def test_bad_input_is_refused_before_any_instance_is_launched(kedge, tmp_path, aws, network, kwargs, field, words):
    app = app_dir(tmp_path, aws, network, **kwargs)
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 1, result
    assert field in result.output and words in result.output, result
    assert "workers.yaml" in result.output
    assert "Traceback" not in result.output
    assert instances(aws) == []


def test_scale_to_zero_and_delete_terminate_everything(kedge, tmp_path, aws, network):
    app = app_dir(tmp_path, aws, network, replicas=2)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    app = app_dir(tmp_path, aws, network, replicas=0)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    assert instances(aws) == []
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0
    app = app_dir(tmp_path, aws, network, replicas=2)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    (app / "workers.yaml").unlink()
    result = kedge("apply", app, "--auto-approve", "--prune", "--confirm-prune", "--allow-empty")
    assert result.exit_code == 0, result
    assert instances(aws, ("pending", "running", "stopping", "stopped", "shutting-down")) == []


def test_machines_in_a_network_of_the_same_app_are_applied_by_reference_and_pruned(kedge, tmp_path, aws, network):
    app = tmp_path / "fleet"
    write_provider(app, aws)
    write(
        app / "net.yaml",
        """
        apiVersion: aws.kedge.dev/v1
        kind: VPC
        metadata: {name: main}
        spec: {cidrBlock: 10.9.0.0/16}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: Subnet
        metadata: {name: a}
        spec: {vpc: {fromResource: {kind: VPC, name: main, field: id}}, cidrBlock: 10.9.1.0/24}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: SecurityGroup
        metadata: {name: nodes}
        spec: {vpc: {fromResource: {kind: VPC, name: main, field: id}}}
        """,
    )
    write(
        app / "machines.yaml",
        f"""
        apiVersion: aws.kedge.dev/v1
        kind: MachineDeployment
        metadata: {{name: workers}}
        spec:
          replicas: 2
          template:
            imageId: {network["images"][0]}
            instanceType: t3.micro
            subnet: {{fromResource: {{kind: Subnet, name: a, field: id}}}}
            securityGroups: [{{fromResource: {{kind: SecurityGroup, name: nodes, field: id}}}}]
        """,
    )
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    running = instances(aws)
    assert len(running) == 2
    subnet = running[0]["SubnetId"]
    assert subnet != network["subnet"]
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0

    (app / "machines.yaml").unlink()
    result = kedge("apply", app, "--auto-approve", "--prune")
    assert result.exit_code == 0, result
    assert instances(aws, ("pending", "running", "stopping", "stopped", "shutting-down")) == []
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0
