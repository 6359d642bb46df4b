"""Drift of a CloudFormation stack's resources: found, shown in the template, put back.

``detect`` asks CloudFormation first (DetectStackDrift, then DescribeStackResourceDrifts for
the MODIFIED and DELETED resources). Where that API is missing (the AWS test server has none)
Kedge compares the literal properties of the deployed template with the resources of a few
common types itself: an SQS queue's timing and size attributes, an S3 bucket's versioning, an
SNS topic's display name. Properties given through intrinsic functions are not compared.

A change set cannot put a drifted property back (the template did not change), so ``repair``
sets the declared values with the services' own calls, for the types Kedge compares itself.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.parsers import ResponseParserError

from kedge.providers.aws.errors import aws_errors, http_status, is_code
from kedge.providers.aws.kinds.base import Context
from kedge.providers.base import Target

QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
)
DETECTION_BUDGET = timedelta(seconds=60)
DETECTION_EVERY = timedelta(minutes=5)
# stack id -> (when, what CloudFormation's drift detection found); per process
_DETECTED: dict[str, tuple[datetime, list[Drift]]] = {}
UNSUPPORTED = ("InvalidAction", "NotImplemented", "UnknownOperationException", "UnsupportedOperation")
# Endpoints known to lack the drift API (remembered for the process: asked once).
_UNSUPPORTED_AT: dict[str, bool] = {}


def _unsupported(exc: BaseException) -> bool:
    """The endpoint has no DetectStackDrift: an unknown action, or an answer that is not an API
    response at all (the AWS test server answers unimplemented calls with an HTML 500 page)."""
    return (
        isinstance(exc, ResponseParserError)
        or is_code(exc, UNSUPPORTED)
        or http_status(exc) in (404, 501)
        or "not yet been implemented" in str(exc)
    )


@dataclass(frozen=True)
class Drift:
    logical: str
    resource_type: str
    physical: str
    path: tuple[str, ...]  # under Properties
    declared: Any
    actual: Any

    def text(self) -> str:
        return f"{self.logical}.{'.'.join(self.path)}: declared {self.declared!r}, actual {self.actual!r}"


def _literal(value: Any) -> bool:
    if isinstance(value, Mapping):
        return not any(k == "Ref" or str(k).startswith("Fn::") for k in value) and all(
            _literal(v) for v in value.values()
        )
    if isinstance(value, list):
        return all(_literal(v) for v in value)
    return True


def _same(declared: Any, actual: Any) -> bool:
    return str(declared).lower() == str(actual).lower() if actual is not None else declared is None


def detect(
    ctx: Context,
    target: Target,
    stack: Mapping[str, Any],
    deployed: Mapping[str, Any],
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> list[Drift]:
    """The stack's drifted properties. CloudFormation's detection takes seconds and is rate
    limited: its answer is reused for ``DETECTION_EVERY`` unless Kedge changed the stack since."""
    cached = _DETECTED.get(stack["StackId"])
    if cached is not None and clock() - cached[0] < DETECTION_EVERY:
        return cached[1]
    found = _by_api(ctx, target, stack, deployed, clock, sleep)
    if found is None:
        return _by_comparison(ctx, target, stack, deployed)
    _DETECTED[stack["StackId"]] = (clock(), found)
    return found


def forget(stack_id: str) -> None:
    """Kedge changed the stack: the next observation detects drift afresh."""
    _DETECTED.pop(stack_id, None)


def _by_api(
    ctx: Context,
    target: Target,
    stack: Mapping[str, Any],
    deployed: Mapping[str, Any],
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> list[Drift] | None:
    """CloudFormation's own drift detection; None where the API does not exist."""
    if _UNSUPPORTED_AT.get(ctx.session.settings.endpoint_url or ctx.region):
        return None
    cfn = ctx.client("cloudformation")
    with aws_errors(f"{target.key}: DetectStackDrift"):
        try:
            probe = ctx.session.client("cloudformation", attempts=1)
            detection = probe.detect_stack_drift(StackName=stack["StackId"])["StackDriftDetectionId"]
        except Exception as exc:
            if not _unsupported(exc):
                raise
            _UNSUPPORTED_AT[ctx.session.settings.endpoint_url or ctx.region] = True
            return None
        deadline = clock() + DETECTION_BUDGET
        while True:
            status = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
            if status.get("DetectionStatus") != "DETECTION_IN_PROGRESS":
                break
            if clock() > deadline:
                return []  # not known in time: reported next time, never guessed
            sleep(2.0)
        answer = cfn.describe_stack_resource_drifts(
            StackName=stack["StackId"], StackResourceDriftStatusFilters=["MODIFIED", "DELETED"]
        )
    out: list[Drift] = []
    for item in answer.get("StackResourceDrifts", []):
        logical = item["LogicalResourceId"]
        for diff in item.get("PropertyDifferences", []) or [{"PropertyPath": "/", "ActualValue": "deleted"}]:
            parts = tuple(p for p in str(diff.get("PropertyPath", "")).split("/") if p)
            path = parts[1:] if parts[:1] == ("Properties",) else parts
            out.append(
                Drift(
                    logical,
                    item.get("ResourceType", ""),
                    item.get("PhysicalResourceId", ""),
                    path or ("(resource)",),
                    diff.get("ExpectedValue"),
                    diff.get("ActualValue"),
                )
            )
    return out


def _resources(ctx: Context, target: Target, stack: Mapping[str, Any]) -> list[dict[str, Any]]:
    with aws_errors(f"{target.key}: ListStackResources"):
        pages = (
            ctx.client("cloudformation")
            .get_paginator("list_stack_resources")
            .paginate(StackName=stack["StackId"])
        )
        return [r for page in pages for r in page["StackResourceSummaries"]]


def _by_comparison(
    ctx: Context, target: Target, stack: Mapping[str, Any], deployed: Mapping[str, Any]
) -> list[Drift]:
    declared_resources: Mapping[str, Any] = deployed.get("Resources") or {}
    out: list[Drift] = []
    for summary in _resources(ctx, target, stack):
        logical, physical = summary["LogicalResourceId"], summary.get("PhysicalResourceId", "")
        rtype = summary.get("ResourceType", "")
        props = (declared_resources.get(logical) or {}).get("Properties") or {}
        reader = READERS.get(rtype)
        if reader is None or not physical:
            continue
        for path, actual in reader(ctx, target, physical, props).items():
            declared = _at(props, path)
            if not _same(declared, actual):
                out.append(Drift(logical, rtype, physical, path, declared, actual))
    return out


def _at(props: Mapping[str, Any], path: Sequence[str]) -> Any:
    node: Any = props
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _queue(ctx: Context, target: Target, url: str, props: Mapping[str, Any]) -> dict[tuple[str, ...], Any]:
    names = [n for n in QUEUE_ATTRIBUTES if n in props and _literal(props[n])]
    if not names:
        return {}
    with aws_errors(f"{target.key}: GetQueueAttributes"):
        attrs = ctx.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return {(n,): attrs.get(n) for n in names}


def _bucket(ctx: Context, target: Target, name: str, props: Mapping[str, Any]) -> dict[tuple[str, ...], Any]:
    if (
        not _literal(_at(props, ("VersioningConfiguration", "Status")))
        or _at(props, ("VersioningConfiguration", "Status")) is None
    ):
        return {}
    with aws_errors(f"{target.key}: GetBucketVersioning"):
        status = ctx.client("s3").get_bucket_versioning(Bucket=name).get("Status", "Suspended")
    return {("VersioningConfiguration", "Status"): status}


def _topic(ctx: Context, target: Target, arn: str, props: Mapping[str, Any]) -> dict[tuple[str, ...], Any]:
    if "DisplayName" not in props or not _literal(props["DisplayName"]):
        return {}
    with aws_errors(f"{target.key}: GetTopicAttributes"):
        attrs = ctx.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
    return {("DisplayName",): attrs.get("DisplayName", "")}


Reader = Callable[[Context, Target, str, Mapping[str, Any]], dict[tuple[str, ...], Any]]
READERS: Mapping[str, Reader] = {
    "AWS::SQS::Queue": _queue,
    "AWS::S3::Bucket": _bucket,
    "AWS::SNS::Topic": _topic,
}


def with_actual(deployed: Mapping[str, Any], drifts: Sequence[Drift]) -> dict[str, Any]:
    """The deployed template with each drifted property's actual value in place (the value
    keeps the declared one's type where they mean the same, so only real drift shows)."""
    out: dict[str, Any] = copy.deepcopy(dict(deployed))
    for drift in drifts:
        node = out.setdefault("Resources", {}).setdefault(drift.logical, {}).setdefault("Properties", {})
        for part in drift.path[:-1]:
            node = node.setdefault(part, {})
        actual = drift.actual
        if isinstance(drift.declared, int) and isinstance(actual, str) and actual.isdigit():
            actual = int(actual)
        node[drift.path[-1]] = actual
    return out


def repair(ctx: Context, target: Target, stack: Mapping[str, Any], declared: Mapping[str, Any]) -> None:
    """Put back what a change set cannot: drifted properties of the types compared here."""
    for drift in _by_comparison(ctx, target, stack, declared):
        where = f"{target.key}: put back {drift.logical}"
        with aws_errors(where):
            if drift.resource_type == "AWS::SQS::Queue":
                ctx.client("sqs").set_queue_attributes(
                    QueueUrl=drift.physical, Attributes={drift.path[0]: str(drift.declared)}
                )
            elif drift.resource_type == "AWS::S3::Bucket":
                ctx.client("s3").put_bucket_versioning(
                    Bucket=drift.physical, VersioningConfiguration={"Status": str(drift.declared)}
                )
            elif drift.resource_type == "AWS::SNS::Topic":
                ctx.client("sns").set_topic_attributes(
                    TopicArn=drift.physical, AttributeName="DisplayName", AttributeValue=str(drift.declared)
                )
