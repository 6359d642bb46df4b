"""CloudFormation templates: parsing, replacement rules and the reading of stack events.

Pure functions for the ``CloudFormationStack`` kind:

- ``parse`` reads a template written in JSON or YAML, YAML's short forms of the intrinsic
  functions included (``!Ref x`` is ``{"Ref": "x"}``, ``!GetAtt a.b`` is
  ``{"Fn::GetAtt": ["a", "b"]}``);
- ``replacement`` says whether a change of a resource's properties replaces it, from the
  documented update behaviour of common resource types: ``"True"``, ``"False"`` or
  ``"Conditional"`` (may replace), the values CloudFormation's change sets use. A change set
  that carries its own answer is believed; the AWS test server's carry none;
- ``failure`` finds the resource whose failure rolled a stack back, in its events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import yaml

# Properties whose change replaces the resource (AWS resource and property reference,
# "Update requires: Replacement").
REPLACING: Mapping[str, frozenset[str]] = {
    "AWS::S3::Bucket": frozenset({"BucketName", "ObjectLockEnabled"}),
    "AWS::SQS::Queue": frozenset({"QueueName", "FifoQueue"}),
    "AWS::SNS::Topic": frozenset({"TopicName", "FifoTopic"}),
    "AWS::DynamoDB::Table": frozenset({"TableName", "KeySchema"}),
    "AWS::EC2::VPC": frozenset({"CidrBlock", "InstanceTenancy", "Ipv4IpamPoolId"}),
    "AWS::EC2::Subnet": frozenset({"VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId"}),
    "AWS::EC2::SecurityGroup": frozenset({"GroupName", "GroupDescription", "VpcId"}),
    "AWS::EC2::Instance": frozenset(
        {"ImageId", "SubnetId", "AvailabilityZone", "KeyName", "PrivateIpAddress", "Tenancy"}
    ),
    "AWS::IAM::Role": frozenset({"RoleName", "Path"}),
    "AWS::IAM::ManagedPolicy": frozenset({"ManagedPolicyName", "Path"}),
    "AWS::IAM::User": frozenset(),
    "AWS::Lambda::Function": frozenset({"FunctionName", "PackageType"}),
    "AWS::Logs::LogGroup": frozenset({"LogGroupName"}),
    "AWS::KMS::Key": frozenset(),
    "AWS::Route53::HostedZone": frozenset({"Name"}),
    "AWS::ECR::Repository": frozenset({"RepositoryName", "EncryptionConfiguration"}),
}
# Properties whose change may replace the resource, depending on the values.
CONDITIONAL: Mapping[str, frozenset[str]] = {
    "AWS::EC2::Instance": frozenset({"InstanceType", "UserData", "EbsOptimized"}),
    "AWS::DynamoDB::Table": frozenset({"AttributeDefinitions"}),
    "AWS::KMS::Key": frozenset({"KeySpec", "KeyUsage"}),
}


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation's short-form intrinsic functions."""


def _intrinsic(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_Loader.add_multi_constructor("!", _intrinsic)


def parse(text: str) -> dict[str, Any]:
    """A template's text as a mapping; ValueError saying where it does not parse."""
    stripped = text.lstrip()
    try:
        value = json.loads(text) if stripped.startswith("{") else yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(value, dict):
        raise ValueError("a template is a mapping with a Resources section")
    if not isinstance(value.get("Resources"), dict) or not value["Resources"]:
        raise ValueError("a template needs a Resources section with at least one resource")
    return value


def unresolved(template: Mapping[str, Any]) -> list[str]:
    """Names that ``Ref`` or ``Fn::GetAtt`` use but the template does not declare (CloudFormation
    refuses such a template: "Unresolved resource dependencies")."""
    known = set(template.get("Parameters") or {}) | set(template.get("Resources") or {})
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for key, sub in value.items():
                if key == "Ref" and isinstance(sub, str):
                    found.add(sub)
                elif key == "Fn::GetAtt" and isinstance(sub, list) and sub and isinstance(sub[0], str):
                    found.add(sub[0])
                walk(sub)
        elif isinstance(value, list):
            for sub in value:
                walk(sub)

    walk(template.get("Resources"))
    walk(template.get("Outputs"))
    return sorted(n for n in found if n not in known and not n.startswith("AWS::"))


def _has_intrinsic(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(k == "Ref" or str(k).startswith("Fn::") for k in value) or any(
            _has_intrinsic(v) for v in value.values()
        )
    if isinstance(value, list):
        return any(_has_intrinsic(v) for v in value)
    return False


def replacement(
    resource_type: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    parameters_changed: bool = False,
) -> str:
    """``True``, ``False`` or ``Conditional`` for a Modify of a resource of this type."""
    if resource_type not in REPLACING and resource_type not in CONDITIONAL:
        return "Conditional"
    before, after = dict(before or {}), dict(after or {})
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    if parameters_changed:  # a property that refers to a parameter may have changed too
        changed |= {k for k in set(after) if _has_intrinsic(after.get(k))}
    if changed & REPLACING.get(resource_type, frozenset()):
        literal = all(not _has_intrinsic(before.get(k)) and not _has_intrinsic(after.get(k)) for k in changed)
        return "True" if literal else "Conditional"
    if changed & CONDITIONAL.get(resource_type, frozenset()):
        return "Conditional"
    return "False"


def failure(events: Sequence[Mapping[str, Any]], since: datetime | None = None) -> str:
    """The resource whose failure rolled a stack back, from its events (newest first, as AWS
    lists them): the first failure in time, passing over resources that were only cancelled
    because another one failed."""
    failed = [
        e
        for e in reversed(list(events))
        if str(e.get("ResourceStatus", "")).endswith("_FAILED")
        and e.get("ResourceType") != "AWS::CloudFormation::Stack"
        and (since is None or not e.get("Timestamp") or e["Timestamp"] >= since)
    ]
    causes = [e for e in failed if "cancelled" not in str(e.get("ResourceStatusReason", "")).lower()]
    for event in causes or failed:
        return (
            f"{event.get('LogicalResourceId')} ({event.get('ResourceType')}) {event.get('ResourceStatus')}: "
            f"{event.get('ResourceStatusReason') or 'no reason given'}"
        )
    return "no failing resource reported"
