"""Template parsing, replacement rules and failure reasons of CloudFormationStack (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kedge.providers.aws.kinds.cfn_template import failure, parse, replacement, unresolved


def test_yaml_short_forms_read_as_intrinsic_functions():
    template = parse(
        """
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-q"
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn}
      DelaySeconds: !Ref Delay
"""
    )
    props = template["Resources"]["Q"]["Properties"]
    assert props["QueueName"] == {"Fn::Sub": "${AWS::StackName}-q"}
    assert props["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}}
    assert unresolved(template) == ["Delay", "Dlq"]


@pytest.mark.parametrize(
    "text,words",
    [
        ('{"Resources": ', "not valid JSON at line 1"),
        ("Resources:\n  A: [1,\n", "not valid YAML at line"),
        ("- just a list\n", "a mapping"),
        ("Resources: {}\n", "at least one resource"),
    ],
)
def test_a_template_that_does_not_parse_says_where(text, words):
    with pytest.raises(ValueError, match=words):
        parse(text)


@pytest.mark.parametrize(
    "rtype,before,after,params,want,reason",
    [
        ("AWS::S3::Bucket", {"BucketName": "a"}, {"BucketName": "b"}, False, "True", "a new name is a new bucket"),
        ("AWS::S3::Bucket", {"Tags": []}, {"Tags": [{"Key": "a", "Value": "b"}]}, False, "False", "tags change in place"),
        ("AWS::SQS::Queue", {"DelaySeconds": 1}, {"DelaySeconds": 2}, False, "False", "an attribute changes in place"),
        ("AWS::EC2::Instance", {"InstanceType": "t3.micro"}, {"InstanceType": "t3.large"}, False, "Conditional", "EBS-backed instances resize in place, others do not"),
        ("AWS::SQS::Queue", {"QueueName": {"Ref": "N"}}, {"QueueName": {"Ref": "N"}}, True, "Conditional", "a parameter behind a replacing property changed"),
        ("AWS::Custom::Thing", {"A": 1}, {"A": 2}, False, "Conditional", "unknown types may replace"),
    ],
)
def test_replacement_rules(rtype, before, after, params, want, reason):
    assert replacement(rtype, before, after, params) == want, reason


def test_the_failing_resource_of_a_rolled_back_update_is_named():
    t = lambda s: datetime(2026, 1, 1, 0, 0, s, tzinfo=UTC)  # noqa: E731
    events = [  # newest first, as DescribeStackEvents lists them
        {"Timestamp": t(9), "LogicalResourceId": "shop", "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": "UPDATE_ROLLBACK_COMPLETE"},
        {"Timestamp": t(7), "LogicalResourceId": "Jobs", "ResourceType": "AWS::SQS::Queue", "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": "Resource handler returned message: invalid DelaySeconds"},
        {"Timestamp": t(6), "LogicalResourceId": "Logs", "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": "Resource update cancelled"},
        {"Timestamp": t(1), "LogicalResourceId": "Old", "ResourceType": "AWS::SQS::Queue", "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": "an earlier failure"},
    ]
    assert failure(events, since=t(5)) == (
        "Jobs (AWS::SQS::Queue) UPDATE_FAILED: Resource handler returned message: invalid DelaySeconds"
    )
