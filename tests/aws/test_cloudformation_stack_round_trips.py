"""CloudFormationStack on the AWS test server through the ``kedge`` command: the plan shows
the change set's actions, apply runs it, out-of-band changes are drift and are put back."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import write

TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Timeout": {"Type": "Number", "Default": 30}},
    "Resources": {
        "Jobs": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": "jobs", "VisibilityTimeout": {"Ref": "Timeout"}, "DelaySeconds": 5},
        },
        "Logs": {
            "Type": "AWS::S3::Bucket",
            "Properties": {"BucketName": "stack-logs-e2e", "VersioningConfiguration": {"Status": "Enabled"}},
        },
    },
    "Outputs": {"QueueUrl": {"Value": {"Ref": "Jobs"}}},
}


def provider(app, aws):
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


def stack_app(tmp_path, aws, template=TEMPLATE, parameters=None, name="shop"):
    app = tmp_path / name
    provider(app, aws)
    doc = {
        "apiVersion": "aws.kedge.dev/v1",
        "kind": "CloudFormationStack",
        "metadata": {"name": "shop-queues"},
        "spec": {"template": template, "parameters": {"Timeout": 30} if parameters is None else parameters, "tags": {"team": "shop"}},
    }
    (app / "stack.yaml").write_text(json.dumps(doc))
    return app


def plan(kedge, app):
    result = kedge("plan", app, "-o", "json")
    assert result.exit_code == 0, result
    return json.loads(result.stdout)


def test_apply_creates_the_stack_and_then_plan_is_empty(kedge, tmp_path, aws):
    app = stack_app(tmp_path, aws)
    shown = plan(kedge, app)
    assert shown["changes"][0]["action"] == "create"
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    assert "CloudFormationStack/shop-queues: shop-queues CREATE_COMPLETE" in result.stderr  # progress
    stack = aws.boto("cloudformation").describe_stacks(StackName="shop-queues")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    tags = {t["Key"]: t["Value"] for t in stack["Tags"]}
    assert tags["team"] == "shop" and tags["kedge.dev/app"] == "shop"
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0


def test_plan_shows_the_change_sets_actions_with_replacement(kedge, tmp_path, aws):
    app = stack_app(tmp_path, aws)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    changed = json.loads(json.dumps(TEMPLATE))
    changed["Resources"]["Logs"]["Properties"]["BucketName"] = "stack-logs-e2e-2"  # replaces
    changed["Resources"]["Jobs"]["Properties"]["DelaySeconds"] = 10  # in place
    app = stack_app(tmp_path, aws, changed)
    result = kedge("plan", app)
    assert result.exit_code == 0, result
    assert "Modify AWS::S3::Bucket Logs (replacement: True)" in result.output
    assert "Modify AWS::SQS::Queue Jobs (replacement: False)" in result.output
    # the plan left no change set behind (executed ones are AWS's history)
    left = aws.boto("cloudformation").list_change_sets(StackName="shop-queues")["Summaries"]
    assert [c for c in left if c["ExecutionStatus"] != "EXECUTE_COMPLETE"] == []
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    assert "stack-logs-e2e-2" in [b["Name"] for b in aws.boto("s3").list_buckets()["Buckets"]]
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0


def test_resource_drift_is_found_and_put_back(kedge, tmp_path, aws):
    app = stack_app(tmp_path, aws)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    sqs = aws.boto("sqs")
    url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0"})
    aws.boto("s3").put_bucket_versioning(Bucket="stack-logs-e2e", VersioningConfiguration={"Status": "Suspended"})

    drift = kedge("drift", app, "-o", "json")
    assert drift.exit_code == 2, drift
    paths = {f["path"] for f in json.loads(drift.stdout)["drifted"][0]["fields"]}
    assert paths == {
        "template.Resources.Jobs.Properties.DelaySeconds",
        "template.Resources.Logs.Properties.VersioningConfiguration.Status",
    }
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"]["DelaySeconds"] == "5"
    assert aws.boto("s3").get_bucket_versioning(Bucket="stack-logs-e2e")["Status"] == "Enabled"
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0


def test_a_stack_updated_or_deleted_out_of_band_is_reverted(kedge, tmp_path, aws):
    app = stack_app(tmp_path, aws)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    cfn = aws.boto("cloudformation")
    cfn.update_stack(
        StackName="shop-queues",
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[{"ParameterKey": "Timeout", "ParameterValue": "99"}],
    )
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 2
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    params = cfn.describe_stacks(StackName="shop-queues")["Stacks"][0]["Parameters"]
    assert {"ParameterKey": "Timeout", "ParameterValue": "30"} in params
    cfn.delete_stack(StackName="shop-queues")
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 2
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0


def test_template_file_beside_the_app_in_yaml_with_short_forms(kedge, tmp_path, aws):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    write(
        repo / "templates" / "queues.yaml",
        """
        Parameters:
          Timeout: {Type: Number}
        Resources:
          Jobs:
            Type: AWS::SQS::Queue
            Properties:
              QueueName: file-jobs
              VisibilityTimeout: !Ref Timeout
        """,
    )
    app = repo / "apps" / "shop"
    provider(app, aws)
    write(
        app / "stack.yaml",
        """
        apiVersion: aws.kedge.dev/v1
        kind: CloudFormationStack
        metadata: {name: file-stack}
        spec:
          templateFile: ../../templates/queues.yaml
          parameters: {Timeout: 45}
        """,
    )
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    url = aws.boto("sqs").get_queue_url(QueueName="file-jobs")["QueueUrl"]
    assert aws.boto("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "45"
    }
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize(
    "template_file,content,words",
    [
        ("bad.json", '{"Resources": {"A": ', "does not parse: not valid JSON at line 1"),
        ("inside.yaml", "Resources: {}\n", "inside the app's manifest path"),
        ("../../outside.json", "{}", "outside the source"),
        ("missing.json", None, "not found"),
    ],
)
def test_bad_template_files_are_refused_with_their_place(kedge, tmp_path, aws, template_file, content, words):
    app = tmp_path / "shop"
    provider(app, aws)
    if content is not None:
        write(app / template_file, content)
    write(
        app / "stack.yaml",
        f"""
        apiVersion: aws.kedge.dev/v1
        kind: CloudFormationStack
        metadata: {{name: bad}}
        spec:
          templateFile: {template_file}
        """,
    )
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 1, result
    assert words in result.output and "stack.yaml" in result.output, result
    assert "Traceback" not in result.output
    assert aws.boto("cloudformation").describe_stacks()["Stacks"] == []


def test_a_template_with_an_unresolved_reference_is_refused(kedge, tmp_path, aws):
    broken = {"Resources": {"Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Nowhere"}}}}}
    app = stack_app(tmp_path, aws, broken, parameters={})
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 1, result
    assert "stack.yaml" in result.output and "spec.template" in result.output and "Nowhere" in result.output
    assert aws.boto("cloudformation").describe_stacks()["Stacks"] == []


def test_a_change_set_that_fails_leaves_the_stack_as_it_was(kedge, tmp_path, aws, fault_proxy):
    app = stack_app(tmp_path, aws)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    changed = json.loads(json.dumps(TEMPLATE))
    changed["Resources"]["Jobs"]["Properties"]["DelaySeconds"] = 10
    app = stack_app(tmp_path, aws, changed)
    provider_file = app / "provider.yaml"
    provider_file.write_text(provider_file.read_text().replace(aws.endpoint, fault_proxy.url))
    fault_proxy.add(r"^cloudformation:CreateChangeSet ", code="ValidationError", status=400)
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 1, result
    assert "CloudFormationStack/shop-queues" in result.output and "change set" in result.output
    assert "Traceback" not in result.output
    stack = aws.boto("cloudformation").describe_stacks(StackName="shop-queues")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    url = aws.boto("sqs").get_queue_url(QueueName="jobs")["QueueUrl"]
    assert aws.boto("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"]["DelaySeconds"] == "5"


def test_a_template_file_symlinked_out_of_the_source_is_refused(kedge, tmp_path, aws):
    secret = tmp_path / "elsewhere" / "secret.json"
    write(secret, '{"Resources": {"A": {"Type": "AWS::SQS::Queue"}}}')
    app = tmp_path / "shop"
    provider(app, aws)
    (app / "link.json").symlink_to(secret)
    write(
        app / "stack.yaml",
        """
        apiVersion: aws.kedge.dev/v1
        kind: CloudFormationStack
        metadata: {name: linked}
        spec:
          templateFile: link.json
        """,
    )
    result = kedge("plan", app)
    assert result.exit_code == 1, result
    assert "spec.templateFile" in result.output and "outside the source" in result.output
