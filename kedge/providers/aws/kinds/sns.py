"""SNSTopic: a topic with typed attributes and tags.

A topic's ARN follows from the account, region and name, so each topic is read directly with
GetTopicAttributes and ListTagsForResource on the thread pool. SetTopicAttributes takes one
attribute per call: an update may be cut off between two of them, and the next reconcile sees
what is still different and finishes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kedge.model import KindSpec, Observation, ResourceKey
from kedge.providers.aws import policy as policies
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import is_code
from kedge.providers.aws.kinds.attributes import AttributeTypes
from kedge.providers.aws.kinds.base import API_VERSION, Handler, top_fields
from kedge.providers.base import Applied, FieldChange, Target

NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MISSING = ("NotFound", "NotFoundException", "ResourceNotFound", "ResourceNotFoundException")

ATTRIBUTES = AttributeTypes(
    {
        "DisplayName": "str",
        "Policy": "policy",
        "DeliveryPolicy": "json",
        "KmsMasterKeyId": "str",
        "FifoTopic": "bool",
        "ContentBasedDeduplication": "bool",
        "TracingConfig": "str",
        "SignatureVersion": "str",
    },
    "Topic attributes as AWS names them; only those written here are managed.",
)

SPEC = KindSpec(
    api_version=API_VERSION,
    kind="SNSTopic",
    description="An SNS topic; the topic name is metadata.name or kedge.dev/external-name (.fifo for FIFO).",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {"attributes": ATTRIBUTES.schema(), "tags": tagging.TAGS_SCHEMA},
    },
    outputs={"arn": "ARN of the topic", "name": "topic name"},
    replace_on=frozenset({"attributes.FifoTopic"}),
)


class SNSTopic(Handler):
    spec = SPEC

    def _sns(self) -> Any:
        return self.ctx.client("sns")

    def _arn(self, target: Target) -> str:
        return f"arn:aws:sns:{self.ctx.region}:{self.ctx.account_id(str(target.key))}:{target.external_id}"

    def check(self, target: Target) -> None:
        name = target.external_id
        if not NAME.match(name.removesuffix(".fifo")):
            raise self.config_error(target, None, f"invalid topic name {name!r}: letters, digits, - and _")
        attributes = target.spec.get("attributes") or {}
        if bool(attributes.get("FifoTopic", False)) != name.endswith(".fifo"):
            raise self.config_error(
                target,
                "attributes.FifoTopic",
                "a FIFO topic's name ends with .fifo, and only a FIFO topic's does",
            )
        if attributes.get("Policy") is not None:
            found = policies.problems(attributes["Policy"], policies.Place.RESOURCE)
            if found:
                raise self.config_error(
                    target, "attributes.Policy", "invalid topic policy: " + "; ".join(found)
                )

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        jobs = [(t, what) for t in targets for what in ("attributes", "tags")]
        reads = self.ctx.map(lambda job: self._read(*job), jobs)
        got: dict[ResourceKey, dict[str, Any]] = {}
        for (t, what), value in zip(jobs, reads, strict=True):
            got.setdefault(t.key, {})[what] = value
        out = {t.key: Observation.missing() for t in targets}
        for t in targets:
            attributes, all_tags = got[t.key]["attributes"], got[t.key]["tags"]
            if attributes is None:
                continue
            state = {
                "attributes": ATTRIBUTES.state(attributes, self.desired(t)["attributes"]),
                "tags": tagging.user_tags(all_tags or {}),
            }
            outputs = {"arn": attributes.get("TopicArn") or self._arn(t), "name": t.external_id}
            out[t.key] = Observation(True, state, outputs, tagging.owner_of(all_tags or {}))
        return out

    def _read(self, target: Target, what: str) -> Any:
        sns, arn = self._sns(), self._arn(target)
        with self.errors(target, f"read {what}"):
            try:
                if what == "attributes":
                    return sns.get_topic_attributes(TopicArn=arn)["Attributes"]
                return tagging.from_list(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))
            except Exception as exc:
                if is_code(exc, MISSING):
                    return None
                raise

    def create(self, target: Target) -> Applied:
        desired = self.desired(target)
        with self.errors(target, "CreateTopic", "attributes"):
            arn = self._sns().create_topic(
                Name=target.external_id,
                Attributes=ATTRIBUTES.to_wire(desired["attributes"]),
                Tags=tagging.to_list(self.desired_tags(target)),
            )["TopicArn"]
        return Applied({"arn": arn, "name": target.external_id})

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        sns, arn, desired = self._sns(), observed.outputs["arn"], self.desired(target)
        if "attributes" in top_fields(diff):
            changed = ATTRIBUTES.changed(observed.state.get("attributes") or {}, desired["attributes"])
            for name, value in sorted(changed.items()):  # the API sets one attribute per call
                with self.errors(target, "SetTopicAttributes", f"attributes.{name}"):
                    sns.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value)
        if self.needs_tags(observed, diff):
            with self.errors(target, "TagResource", "tags"):
                actual = tagging.from_list(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))
                delta = tagging.TagDelta.between(actual, self.desired_tags(target))
                if delta.set:
                    sns.tag_resource(ResourceArn=arn, Tags=tagging.to_list(delta.set))
                if delta.remove:
                    sns.untag_resource(ResourceArn=arn, TagKeys=delta.remove)
        return Applied(observed.outputs)

    def delete(self, target: Target, observed: Observation) -> None:
        arn = observed.outputs.get("arn") or target.outputs.get("arn") or self._arn(target)
        with self.errors(target, "DeleteTopic"):
            try:
                self._sns().delete_topic(TopicArn=arn)  # succeeds for a topic already gone
            except Exception as exc:
                if not is_code(exc, MISSING):
                    raise

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return ["sns:CreateTopic"]
        fields = top_fields(diff)
        return [
            c
            for f, c in (("attributes", "sns:SetTopicAttributes"), ("tags", "sns:TagResource"))
            if f in fields
        ]
