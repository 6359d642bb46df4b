"""Push-based AWS drift: EventBridge delivers change events to an SQS queue; the watch turns
them into wake-ups of the app (on the AWS test server's EventBridge and SQS)."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from kedge.engine import AppRun, Options
from kedge.engine.render import render
from kedge.model import ProviderError
from kedge.providers.aws.watch import QueueWatch
from tests.conftest import write
from tests.fixtures.pg import wait_for

PATTERN = {"source": ["aws.ec2", "aws.s3"], "detail-type": ["AWS API Call via CloudTrail", "EC2 Instance State-change Notification"]}


@pytest.fixture
def queue(aws):
    sqs, events = aws.boto("sqs"), aws.boto("events")
    url = sqs.create_queue(QueueName="kedge-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="kedge-drift", EventPattern=json.dumps(PATTERN))
    events.put_targets(Rule="kedge-drift", Targets=[{"Id": "queue", "Arn": arn}])
    return url


def cloudtrail(aws, name, params, agent="aws-cli/2.15", source="ec2"):
    """What CloudTrail would put on the bus for an API call (the test server makes none)."""
    detail = {"eventSource": f"{source}.amazonaws.com", "eventName": name, "requestParameters": params, "userAgent": agent}
    answer = aws.boto("events").put_events(
        Entries=[{"Source": f"aws.{source}", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(detail)}]
    )
    assert answer["FailedEntryCount"] == 0


def collect(client, stop, out):
    for event in client.watch(stop):
        out.append(event)


def test_an_out_of_band_call_becomes_a_watch_event(aws, queue):
    client = aws.connect(eventQueue="kedge-events")
    stop, seen = threading.Event(), []
    thread = threading.Thread(target=collect, args=(client, stop, seen), daemon=True)
    thread.start()
    try:
        cloudtrail(aws, "AuthorizeSecurityGroupIngress", {"groupId": "sg-0123"})
        cloudtrail(aws, "PutBucketVersioning", {"bucketName": "shop-assets"}, source="s3")
        cloudtrail(aws, "DescribeSecurityGroups", {})  # reads change nothing
        cloudtrail(aws, "RevokeSecurityGroupIngress", {"groupId": "sg-0123"}, agent="Boto3/1.34 kedge")  # Kedge's own
        assert wait_for(lambda: len(seen) >= 2, timeout=10)
        # every message is consumed, the ignored ones too: nothing is left for the next watch
        assert wait_for(lambda: drained(aws, queue), timeout=10)
        assert [(e.kind, e.external_id, e.detail) for e in seen] == [
            ("SecurityGroup", "sg-0123", "AuthorizeSecurityGroupIngress"),
            ("S3Bucket", "shop-assets", "PutBucketVersioning"),
        ]
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()  # a stop is noticed within the long-poll wait


def drained(aws, queue):
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    counts = aws.boto("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
    return all(counts[n] == "0" for n in names)


def test_without_an_event_queue_the_watch_is_empty(aws):
    assert list(aws.connect().watch(threading.Event())) == []


def test_a_queue_that_does_not_exist_is_a_clear_error(aws):
    client = aws.connect(eventQueue="no-such-queue")
    with pytest.raises(ProviderError, match=r"settings.eventQueue: queue no-such-queue does not exist in us-east-1; create it"):
        next(iter(client.watch(threading.Event())))


def test_a_lagging_queue_is_reported_and_the_event_still_wakes(aws, queue, caplog):
    client = aws.connect()
    later = lambda: datetime.now(UTC) + timedelta(minutes=10)  # noqa: E731 - the events look 10 minutes old
    watch = QueueWatch(client.session, queue, clock=later)
    cloudtrail(aws, "AuthorizeSecurityGroupIngress", {"groupId": "sg-9"})
    stop = threading.Event()
    with caplog.at_level(logging.WARNING, logger="kedge.aws.watch"):
        event = next(iter(watch.watch(stop)))
    stop.set()
    assert event.external_id == "sg-9"
    assert watch.lagging
    assert "events arrive" in caplog.text and "periodic sweep still runs" in caplog.text


def test_the_controllers_watch_wakes_the_owning_app(aws, queue, tmp_path):
    from kedge.controller.watches import Watches

    app = tmp_path / "net"
    write(
        app / "resources.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec:
          provider: aws
          settings: {{region: us-east-1, endpointURL: "{aws.endpoint}", eventQueue: kedge-events}}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: VPC
        metadata: {{name: main}}
        spec: {{cidrBlock: 10.0.0.0/16}}
        """,
    )
    woken: list[tuple[str, str]] = []
    watches = Watches(lambda name, detail: woken.append((name, detail)))
    try:
        watches.ensure("net", AppRun("net", Options(), render(app)))
        cloudtrail(aws, "ModifyVpcAttribute", {"vpcId": "vpc-1"})
        assert wait_for(lambda: woken, timeout=10)
        assert woken[0] == ("net", "VPC vpc-1")
    finally:
        watches.close()
