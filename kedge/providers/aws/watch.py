"""Push-based drift for AWS: change events from an SQS queue wake the owning app at once.

The user routes the API calls of the managed services to a queue with an EventBridge rule
(CloudTrail's "AWS API Call via CloudTrail" events, and EC2's instance state changes) and
names the queue in the ProviderConfig (``settings.eventQueue``, a name or a URL). ``watch``
long-polls the queue, turns each event into a ``WatchEvent`` (the kind it concerns and, where
the event says, the resource's id or name), deletes it, and yields it; the controller then
reconciles the app at once instead of at the next sweep.

Kedge's own calls carry ``kedge`` in their user agent: their events are dropped, so an apply
does not wake its own app again. The periodic sweep never stops: a queue that is missing, that
lags (events older than ``MAX_LAG``) or that loses events only makes drift slower to see.
A queue that does not exist ends the watch with a ``ProviderError`` saying what to create.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kedge.model import ProviderError
from kedge.providers.aws.errors import aws_errors, is_code
from kedge.providers.aws.session import AwsSession
from kedge.providers.base import WatchEvent

log = logging.getLogger("kedge.aws.watch")

MAX_LAG = timedelta(minutes=2)
WAIT_SECONDS = 1  # long-poll wait: also how fast a stop is noticed
MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue")

# CloudTrail eventSource -> the kind whose drift its calls may cause
SOURCES: Mapping[str, str] = {
    "s3.amazonaws.com": "S3Bucket",
    "iam.amazonaws.com": "IAMRole",
    "sqs.amazonaws.com": "SQSQueue",
    "sns.amazonaws.com": "SNSTopic",
    "dynamodb.amazonaws.com": "DynamoDBTable",
    "kms.amazonaws.com": "KMSKey",
    "route53.amazonaws.com": "Route53Record",
    "cloudformation.amazonaws.com": "CloudFormationStack",
}
EC2_EVENTS: Mapping[str, str] = {
    "SecurityGroup": "SecurityGroup",
    "Vpc": "VPC",
    "Subnet": "Subnet",
    "Instances": "MachineDeployment",
}
# request parameters that name the resource, in the order they are tried
ID_FIELDS = (
    "groupId",
    "vpcId",
    "subnetId",
    "bucketName",
    "queueUrl",
    "topicArn",
    "tableName",
    "roleName",
    "policyArn",
    "keyId",
    "hostedZoneId",
    "stackName",
)


def kind_of(event: Mapping[str, Any]) -> WatchEvent | None:
    """The WatchEvent for one EventBridge event, or None for events no kind cares about."""
    detail = event.get("detail") or {}
    if event.get("detail-type") == "EC2 Instance State-change Notification":
        return WatchEvent("MachineDeployment", detail.get("instance-id"), f"instance {detail.get('state')}")
    name = str(detail.get("eventName", ""))
    source = str(detail.get("eventSource", ""))
    if source == "ec2.amazonaws.com":
        kind = next((k for fragment, k in EC2_EVENTS.items() if fragment in name), None)
    else:
        kind = SOURCES.get(source)
    if kind is None or name.startswith(("Describe", "Get", "List")):
        return None
    params = detail.get("requestParameters") or {}
    external = next((str(params[f]) for f in ID_FIELDS if isinstance(params.get(f), str)), None)
    return WatchEvent(kind, external, name)


def _own(event: Mapping[str, Any]) -> bool:
    return "kedge" in str((event.get("detail") or {}).get("userAgent", ""))


class QueueWatch:
    """The event queue of one ProviderConfig, read for one app."""

    def __init__(self, session: AwsSession, queue: str, clock: Callable[[], datetime] | None = None) -> None:
        self.session = session
        self.queue = queue
        self.clock = clock or (lambda: datetime.now(UTC))
        self.where = f"{session.where}: settings.eventQueue"
        self.lagging = False

    def url(self) -> str:
        if self.queue.startswith(("https://", "http://")):
            return self.queue
        sqs = self.session.client("sqs")
        with aws_errors(f"{self.where}: GetQueueUrl"):
            try:
                return str(sqs.get_queue_url(QueueName=self.queue)["QueueUrl"])
            except Exception as exc:
                if is_code(exc, MISSING):
                    raise ProviderError(
                        f"{self.where}: queue {self.queue} does not exist in {self.session.region}; "
                        "create it and the EventBridge rule that feeds it (docs/providers/aws.md, "
                        "'Events'), or remove the setting. Drift is found by the periodic sweep meanwhile."
                    ) from None
                raise

    def watch(self, stop: threading.Event | None = None) -> Iterator[WatchEvent]:
        stop = stop or threading.Event()
        url = self.url()
        sqs = self.session.client("sqs")
        while not stop.is_set():
            with aws_errors(f"{self.where}: ReceiveMessage"):
                try:
                    answer = sqs.receive_message(
                        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=WAIT_SECONDS
                    )
                except Exception as exc:
                    if is_code(exc, MISSING):
                        raise ProviderError(f"{self.where}: queue {self.queue} was deleted") from None
                    raise
            messages = answer.get("Messages", [])
            events = [self._read(m) for m in messages]
            if messages:
                with aws_errors(f"{self.where}: DeleteMessageBatch"):
                    sqs.delete_message_batch(
                        QueueUrl=url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(messages)
                        ],
                    )
            for event in events:
                if event is not None:
                    yield event

    def _read(self, message: Mapping[str, Any]) -> WatchEvent | None:
        try:
            event = json.loads(message.get("Body", ""))
        except ValueError:
            return None  # not an EventBridge event: dropped, the sweep covers it
        if not isinstance(event, dict) or _own(event):
            return None
        self._check_lag(event)
        return kind_of(event)

    def _check_lag(self, event: Mapping[str, Any]) -> None:
        try:
            at = datetime.fromisoformat(str(event.get("time", "")).replace("Z", "+00:00"))
        except ValueError:
            return
        lag = self.clock() - at
        if lag > MAX_LAG and not self.lagging:
            log.warning(
                "%s: events arrive %ss late; the periodic sweep still runs",
                self.where,
                int(lag.total_seconds()),
            )
        self.lagging = lag > MAX_LAG
