"""DynamoDBTable: key schema, billing, point-in-time recovery, deletion protection and tags.

``attributes`` declares the type of each key attribute (S, N or B), as Terraform's
``aws_dynamodb_table`` does; the key schema cannot change in place, so a change to it replaces
the table. A table being created or deleted is not ready for updates; a call that hits that
state is a temporary error, retried by the next reconcile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kedge.model import KindSpec, Observation, ResourceKey, TemporaryError
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import is_code
from kedge.providers.aws.kinds.base import API_VERSION, Handler, top_fields
from kedge.providers.base import Applied, FieldChange, Target

MISSING = ("ResourceNotFoundException", "TableNotFoundException")

SPEC = KindSpec(
    api_version=API_VERSION,
    kind="DynamoDBTable",
    description="A DynamoDB table; the table name is metadata.name or kedge.dev/external-name.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["hashKey", "attributes"],
        "properties": {
            "hashKey": {"type": "string", "description": "Partition key attribute name."},
            "rangeKey": {"type": "string", "description": "Sort key attribute name."},
            "attributes": {
                "type": "object",
                "description": "Type of each key attribute: S (string), N (number) or B (binary).",
                "additionalProperties": {"enum": ["S", "N", "B"]},
                "minProperties": 1,
            },
            "billingMode": {
                "enum": ["PAY_PER_REQUEST", "PROVISIONED"],
                "default": "PAY_PER_REQUEST",
                "description": "On-demand, or provisioned with readCapacity and writeCapacity.",
            },
            "readCapacity": {"type": "integer", "minimum": 1, "description": "PROVISIONED only."},
            "writeCapacity": {"type": "integer", "minimum": 1, "description": "PROVISIONED only."},
            "pointInTimeRecovery": {
                "type": "boolean",
                "default": False,
                "description": "Continuous backups.",
            },
            "deletionProtection": {
                "type": "boolean",
                "default": False,
                "description": "AWS refuses to delete the table while this is on.",
            },
            "tags": tagging.TAGS_SCHEMA,
        },
    },
    outputs={"arn": "ARN of the table", "name": "table name", "id": "table id"},
    replace_on=frozenset({"hashKey", "rangeKey", "attributes"}),
)


class DynamoDBTable(Handler):
    spec = SPEC

    def _ddb(self) -> Any:
        return self.ctx.client("dynamodb")

    def check(self, target: Target) -> None:
        spec = target.spec
        attributes = spec.get("attributes") or {}
        keys = [k for k in (spec.get("hashKey"), spec.get("rangeKey")) if k]
        for field, key in (("hashKey", spec.get("hashKey")), ("rangeKey", spec.get("rangeKey"))):
            if key and key not in attributes:
                raise self.config_error(target, field, f"{key!r} needs a type in attributes")
        unused = sorted(set(attributes) - set(keys))
        if unused:
            raise self.config_error(
                target, "attributes", f"{', '.join(unused)} is not a key; declare only key attributes"
            )
        provisioned = spec.get("billingMode") == "PROVISIONED"
        for field in ("readCapacity", "writeCapacity"):
            if provisioned and field not in spec:
                raise self.config_error(target, field, "required when billingMode is PROVISIONED")
            if not provisioned and field in spec:
                raise self.config_error(target, field, "only for billingMode PROVISIONED")

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        tables = self.ctx.map(self._describe, targets)
        present = [
            (t, table)
            for t, table in zip(targets, tables, strict=True)
            if table is not None and table.get("TableStatus") != "DELETING"
        ]
        jobs = [(t, table["TableArn"], what) for t, table in present for what in ("pitr", "tags")]
        reads = self.ctx.map(lambda job: self._read(*job), jobs)
        got: dict[ResourceKey, dict[str, Any]] = {}
        for (t, _, what), value in zip(jobs, reads, strict=True):
            got.setdefault(t.key, {})[what] = value
        out = {t.key: Observation.missing() for t in targets}
        for t, table in present:
            out[t.key] = self._observation(table, got[t.key]["pitr"], got[t.key]["tags"])
        return out

    def _describe(self, target: Target) -> dict[str, Any] | None:
        with self.errors(target, "DescribeTable"):
            try:
                table: dict[str, Any] = self._ddb().describe_table(TableName=target.external_id)["Table"]
                return table
            except Exception as exc:
                if is_code(exc, MISSING):
                    return None
                raise

    def _read(self, target: Target, arn: str, what: str) -> Any:
        ddb = self._ddb()
        with self.errors(target, f"read {what}"):
            if what == "pitr":
                backups = ddb.describe_continuous_backups(TableName=target.external_id)[
                    "ContinuousBackupsDescription"
                ]
                status = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
                return status == "ENABLED"
            tags: dict[str, str] = {}
            for page in ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn):
                tags.update(tagging.from_list(page.get("Tags")))
            return tags

    @staticmethod
    def _observation(table: dict[str, Any], pitr: bool, all_tags: dict[str, str]) -> Observation:
        keys = {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]}
        mode = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        state: dict[str, Any] = {
            "hashKey": keys.get("HASH"),
            "attributes": {
                a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])
            },
            "billingMode": mode,
            "pointInTimeRecovery": pitr,
            "deletionProtection": bool(table.get("DeletionProtectionEnabled", False)),
            "tags": tagging.user_tags(all_tags),
        }
        if "RANGE" in keys:
            state["rangeKey"] = keys["RANGE"]
        if mode == "PROVISIONED":
            throughput = table.get("ProvisionedThroughput", {})
            state["readCapacity"] = throughput.get("ReadCapacityUnits")
            state["writeCapacity"] = throughput.get("WriteCapacityUnits")
        outputs = {"arn": table["TableArn"], "name": table["TableName"], "id": table.get("TableId", "")}
        return Observation(True, state, outputs, tagging.owner_of(all_tags))

    def create(self, target: Target) -> Applied:
        desired, ddb = self.desired(target), self._ddb()
        schema = [{"AttributeName": desired["hashKey"], "KeyType": "HASH"}]
        if desired.get("rangeKey"):
            schema.append({"AttributeName": desired["rangeKey"], "KeyType": "RANGE"})
        args: dict[str, Any] = {
            "TableName": target.external_id,
            "KeySchema": schema,
            "AttributeDefinitions": [
                {"AttributeName": n, "AttributeType": t} for n, t in sorted(desired["attributes"].items())
            ],
            "BillingMode": desired["billingMode"],
            "DeletionProtectionEnabled": desired["deletionProtection"],
            "Tags": tagging.to_list(self.desired_tags(target)),
        }
        if desired["billingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = {
                "ReadCapacityUnits": desired["readCapacity"],
                "WriteCapacityUnits": desired["writeCapacity"],
            }
        with self.errors(target, "CreateTable"):
            try:
                table = ddb.create_table(**args)["TableDescription"]
            except Exception as exc:
                if not is_code(exc, ["ResourceInUseException"]):
                    raise
                table = ddb.describe_table(TableName=target.external_id)["Table"]
        if desired["pointInTimeRecovery"]:
            with self.errors(target, "UpdateContinuousBackups", "pointInTimeRecovery"):
                ddb.get_waiter("table_exists").wait(
                    TableName=target.external_id, WaiterConfig={"Delay": 2, "MaxAttempts": 90}
                )
                ddb.update_continuous_backups(
                    TableName=target.external_id,
                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
                )
        return Applied({"arn": table["TableArn"], "name": table["TableName"], "id": table.get("TableId", "")})

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        desired, ddb, name = self.desired(target), self._ddb(), target.external_id
        fields = top_fields(diff)
        try:
            if fields & {"billingMode", "readCapacity", "writeCapacity"}:
                args: dict[str, Any] = {"BillingMode": desired["billingMode"]}
                if desired["billingMode"] == "PROVISIONED":
                    args["ProvisionedThroughput"] = {
                        "ReadCapacityUnits": desired["readCapacity"],
                        "WriteCapacityUnits": desired["writeCapacity"],
                    }
                with self.errors(target, "UpdateTable", "billingMode"):
                    ddb.update_table(TableName=name, **args)
            if "deletionProtection" in fields:
                with self.errors(target, "UpdateTable", "deletionProtection"):
                    ddb.update_table(TableName=name, DeletionProtectionEnabled=desired["deletionProtection"])
            if "pointInTimeRecovery" in fields:
                with self.errors(target, "UpdateContinuousBackups", "pointInTimeRecovery"):
                    ddb.update_continuous_backups(
                        TableName=name,
                        PointInTimeRecoverySpecification={
                            "PointInTimeRecoveryEnabled": desired["pointInTimeRecovery"]
                        },
                    )
        except Exception as exc:
            if "ResourceInUseException" in str(exc):
                raise TemporaryError(
                    f"{target.key}: the table is busy with another change; retrying later", delay=10
                ) from None
            raise
        if self.needs_tags(observed, diff):
            arn = observed.outputs["arn"]
            with self.errors(target, "TagResource", "tags"):
                actual: dict[str, str] = {}
                for page in ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn):
                    actual.update(tagging.from_list(page.get("Tags")))
                delta = tagging.TagDelta.between(actual, self.desired_tags(target))
                if delta.set:
                    ddb.tag_resource(ResourceArn=arn, Tags=tagging.to_list(delta.set))
                if delta.remove:
                    ddb.untag_resource(ResourceArn=arn, TagKeys=delta.remove)
        return Applied(observed.outputs)

    def delete(self, target: Target, observed: Observation) -> None:
        with self.errors(target, "DeleteTable"):
            try:
                self._ddb().delete_table(TableName=target.external_id)
            except Exception as exc:
                if not is_code(exc, MISSING):
                    raise

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return ["dynamodb:CreateTable"]
        names = {
            "billingMode": "UpdateTable",
            "readCapacity": "UpdateTable",
            "writeCapacity": "UpdateTable",
            "deletionProtection": "UpdateTable",
            "pointInTimeRecovery": "UpdateContinuousBackups",
            "tags": "TagResource",
        }
        return sorted({f"dynamodb:{names[f]}" for f in top_fields(diff) if f in names})
