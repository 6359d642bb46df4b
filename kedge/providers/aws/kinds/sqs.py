"""SQSQueue: a queue with typed attributes and tags.

Queues are looked up with GetQueueUrl, which (unlike ListQueues) is consistent right after a
create, then read with one attribute and one tag call each, all on the thread pool.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kedge.model import KindSpec, Observation, ResourceKey, TemporaryError
from kedge.providers.aws import policy as policies
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import is_code
from kedge.providers.aws.kinds.attributes import AttributeTypes
from kedge.providers.aws.kinds.base import API_VERSION, Handler, top_fields
from kedge.providers.base import Applied, FieldChange, Target

MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue")
NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")

ATTRIBUTES = AttributeTypes(
    {
        "DelaySeconds": "int",
        "MaximumMessageSize": "int",
        "MessageRetentionPeriod": "int",
        "ReceiveMessageWaitTimeSeconds": "int",
        "VisibilityTimeout": "int",
        "Policy": "policy",
        "RedrivePolicy": "json",
        "RedriveAllowPolicy": "json",
        "KmsMasterKeyId": "str",
        "KmsDataKeyReusePeriodSeconds": "int",
        "SqsManagedSseEnabled": "bool",
        "FifoQueue": "bool",
        "ContentBasedDeduplication": "bool",
        "DeduplicationScope": "str",
        "FifoThroughputLimit": "str",
    },
    "Queue attributes as AWS names them; only those written here are managed.",
)

SPEC = KindSpec(
    api_version=API_VERSION,
    kind="SQSQueue",
    description="An SQS queue; the queue name is metadata.name or kedge.dev/external-name (.fifo for FIFO).",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {"attributes": ATTRIBUTES.schema(), "tags": tagging.TAGS_SCHEMA},
    },
    outputs={"url": "queue URL", "arn": "ARN of the queue", "name": "queue name"},
    replace_on=frozenset({"attributes.FifoQueue"}),
)


class SQSQueue(Handler):
    spec = SPEC

    def _sqs(self) -> Any:
        return self.ctx.client("sqs")

    def check(self, target: Target) -> None:
        name = target.external_id
        base = name.removesuffix(".fifo")
        if not NAME.match(base):
            raise self.config_error(
                target, None, f"invalid queue name {name!r}: up to 80 letters, digits, - and _"
            )
        fifo = bool((target.spec.get("attributes") or {}).get("FifoQueue", False))
        if fifo != name.endswith(".fifo"):
            raise self.config_error(
                target,
                "attributes.FifoQueue",
                "a FIFO queue's name ends with .fifo, and only a FIFO queue's does",
            )
        document = (target.spec.get("attributes") or {}).get("Policy")
        if document is not None:
            found = policies.problems(document, policies.Place.RESOURCE)
            if found:
                raise self.config_error(
                    target, "attributes.Policy", "invalid queue policy: " + "; ".join(found)
                )

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        urls = self.ctx.map(self._url, targets)
        present = [(t, u) for t, u in zip(targets, urls, strict=True) if u]
        jobs = [(t, u, what) for t, u in present for what in ("attributes", "tags")]
        reads = self.ctx.map(lambda job: self._read(*job), jobs)
        got: dict[ResourceKey, dict[str, Any]] = {}
        for (t, _, what), value in zip(jobs, reads, strict=True):
            got.setdefault(t.key, {})[what] = value
        out = {t.key: Observation.missing() for t in targets}
        for t, url in present:
            attributes, all_tags = got[t.key]["attributes"], got[t.key]["tags"]
            if attributes is None:  # deleted between the two calls
                continue
            state = {
                "attributes": ATTRIBUTES.state(attributes, self.desired(t)["attributes"]),
                "tags": tagging.user_tags(all_tags),
            }
            outputs = {"url": url, "arn": attributes.get("QueueArn", ""), "name": t.external_id}
            out[t.key] = Observation(True, state, outputs, tagging.owner_of(all_tags))
        return out

    def _url(self, target: Target) -> str | None:
        with self.errors(target, "GetQueueUrl"):
            try:
                return str(self._sqs().get_queue_url(QueueName=target.external_id)["QueueUrl"])
            except Exception as exc:
                if is_code(exc, MISSING):
                    return None
                raise

    def _read(self, target: Target, url: str, what: str) -> Any:
        sqs = self._sqs()
        with self.errors(target, f"read {what}"):
            try:
                if what == "attributes":
                    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                return dict(sqs.list_queue_tags(QueueUrl=url).get("Tags") or {})
            except Exception as exc:
                if is_code(exc, MISSING):
                    return None if what == "attributes" else {}
                raise

    def create(self, target: Target) -> Applied:
        desired, sqs = self.desired(target), self._sqs()
        with self.errors(target, "CreateQueue", "attributes"):
            try:
                url = sqs.create_queue(
                    QueueName=target.external_id,
                    Attributes=ATTRIBUTES.to_wire(desired["attributes"]),
                    tags=self.desired_tags(target),
                )["QueueUrl"]
            except Exception as exc:
                if is_code(exc, ["AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"]):
                    raise TemporaryError(
                        f"{target.key}: a queue of this name was deleted less than 60 s ago; "
                        "AWS refuses to re-create it before then",
                        delay=60,
                    ) from None
                raise
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
        return Applied({"url": url, "arn": arn, "name": target.external_id})

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        sqs, url, desired = self._sqs(), observed.outputs["url"], self.desired(target)
        if "attributes" in top_fields(diff):
            changed = ATTRIBUTES.changed(observed.state.get("attributes") or {}, desired["attributes"])
            if changed:
                with self.errors(target, "SetQueueAttributes", "attributes"):
                    sqs.set_queue_attributes(QueueUrl=url, Attributes=changed)
        if self.needs_tags(observed, diff):
            with self.errors(target, "TagQueue", "tags"):
                actual = dict(sqs.list_queue_tags(QueueUrl=url).get("Tags") or {})
                delta = tagging.TagDelta.between(actual, self.desired_tags(target))
                if delta.set:
                    sqs.tag_queue(QueueUrl=url, Tags=delta.set)
                if delta.remove:
                    sqs.untag_queue(QueueUrl=url, TagKeys=delta.remove)
        return Applied(observed.outputs)

    def delete(self, target: Target, observed: Observation) -> None:
        url = observed.outputs.get("url") or target.outputs.get("url") or self._url(target)
        if not url:
            return
        with self.errors(target, "DeleteQueue"):
            try:
                self._sqs().delete_queue(QueueUrl=url)
            except Exception as exc:
                if not is_code(exc, MISSING):
                    raise

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return ["sqs:CreateQueue"]
        fields = top_fields(diff)
        return [
            c for f, c in (("attributes", "sqs:SetQueueAttributes"), ("tags", "sqs:TagQueue")) if f in fields
        ]
