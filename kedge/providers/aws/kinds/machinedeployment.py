"""MachineDeployment: ``replicas`` EC2 instances of one template, rolled and healed.

After Cluster API's MachineDeployment and MachineHealthCheck. The instances carry the
ownership tags (``kedge.dev/resource: MachineDeployment/NAME``) from their RunInstances call,
so the deployment is found again by one DescribeInstances over the whole batch, plus one
DescribeInstanceStatus when a health check reads status checks. The rules (what is unhealthy,
what the next rollout step is) live in ``machines``; this module observes, and performs steps
until the fleet converges or a time budget runs out (then the engine retries later).

The observed state reports ``replicas`` as the instances that count (stopped ones and those
unhealthy past the timeout do not) and ``template`` as the template of the oldest outdated
instance, so a template change or a stopped instance shows as drift. ``strategy`` and
``healthCheck`` are settings of Kedge, not of AWS: they are reported as declared.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from kedge.model import UNKNOWN, KindSpec, Observation, ResourceKey, TemporaryError
from kedge.model.resource import CLAIM_ANNOTATION
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import is_code
from kedge.providers.aws.kinds.base import API_VERSION, Context
from kedge.providers.aws.kinds.ec2 import Ec2Handler
from kedge.providers.aws.kinds.machines import (
    STATUS_STATES,
    UNHEALTHY_STATES,
    Fleet,
    Machine,
    Settings,
    next_step,
)
from kedge.providers.base import Applied, FieldChange, Target

log = logging.getLogger("kedge.progress.aws.machines")  # shown by kedge apply

USER_DATA_TAG = "kedge.dev/user-data"
ROLLOUT_BUDGET = timedelta(minutes=15)
DELETE_BUDGET = timedelta(minutes=10)
POLL_SECONDS = 5.0
INT_OR_PERCENT = {
    "oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]{1,3}%$"}]
}

SPEC = KindSpec(
    api_version=API_VERSION,
    kind="MachineDeployment",
    description="replicas EC2 instances of a template, rolled on a template change and healed "
    "(after Cluster API's MachineDeployment and MachineHealthCheck).",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["template"],
        "properties": {
            "replicas": {"type": "integer", "minimum": 0, "default": 1, "description": "Instances."},
            "template": {
                "type": "object",
                "additionalProperties": False,
                "required": ["imageId", "instanceType", "subnet"],
                "description": "What each instance is launched from.",
                "properties": {
                    "imageId": {"type": "string", "description": "AMI id (ami-...)."},
                    "instanceType": {"type": "string", "description": "e.g. t3.small."},
                    "subnet": {"type": "string", "description": "Subnet id, usually fromResource."},
                    "securityGroups": {
                        "type": "array",
                        "items": {"type": "string"},
                        "default": [],
                        "description": "Security group ids; empty: the VPC's default group.",
                    },
                    "userData": {"type": "string", "default": "", "description": "Cloud-init user data."},
                    "tags": tagging.TAGS_SCHEMA,
                },
            },
            "strategy": {
                "type": "object",
                "additionalProperties": False,
                "default": {},
                "description": "Rolling update: how far above and below replicas a rollout may go.",
                "properties": {
                    "maxSurge": {**INT_OR_PERCENT, "default": 1, "description": "Extra instances."},
                    "maxUnavailable": {**INT_OR_PERCENT, "default": 0, "description": "Fewer instances."},
                },
            },
            "healthCheck": {
                "type": "object",
                "additionalProperties": False,
                "default": {},
                "description": "Remediation: stopped instances, and instances unhealthy past timeout, "
                "are replaced one at a time unless more than maxUnhealthy are unhealthy.",
                "properties": {
                    "unhealthyStates": {
                        "type": "array",
                        "items": {"type": "string", "enum": list(UNHEALTHY_STATES)},
                        "default": ["impaired"],
                        "description": "Instance states or status checks that count as unhealthy.",
                    },
                    "timeout": {
                        "type": "string",
                        "pattern": "^[0-9]+(ms|s|m|h)$",
                        "default": "5m",
                        "description": "How long an instance may stay unhealthy before it is replaced.",
                    },
                    "maxUnhealthy": {
                        **INT_OR_PERCENT,
                        "default": "100%",
                        "description": "Remediation budget.",
                    },
                },
            },
        },
    },
    outputs={
        "instanceIds": "ids of the instances that count towards replicas, oldest first",
        "readyReplicas": "instances running, of any template, with no failing health check",
    },
)


def user_data_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class MachineDeployment(Ec2Handler):
    spec = SPEC
    # The clock and the pause between polls of a rollout: replaced in tests.
    clock: Callable[[], datetime] = staticmethod(_utcnow)
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    # -- checks -----------------------------------------------------------------------------
    def check(self, target: Target) -> None:
        template = target.spec.get("template") or {}
        for name in ("imageId", "instanceType", "subnet"):
            if template.get(name) is UNKNOWN:
                raise self.config_error(target, f"template.{name}", "refers to a resource not created yet")
        if any(g is UNKNOWN for g in template.get("securityGroups") or []):
            raise self.config_error(target, "template.securityGroups", "refers to a group not created yet")
        self.settings(target)

    def settings(self, target: Target, strict: bool = True) -> Settings:
        try:
            return Settings.parse(self.desired(target), strict)
        except ValueError as exc:
            field, _, message = str(exc).partition(": ")
            raise self.config_error(target, field, message) from None

    def check_template(self, target: Target) -> None:
        """The image and instance type exist: a launch of a missing one would fail half-way."""
        template = self.desired(target)["template"]
        ec2 = self._ec2()
        with self.errors(target, "DescribeImages", "template.imageId"):
            try:
                images = ec2.describe_images(ImageIds=[template["imageId"]])["Images"]
            except Exception as exc:
                if not is_code(
                    exc, ["InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable"]
                ):
                    raise
                images = []
        if not images:
            raise self.config_error(
                target, "template.imageId", f"image {template['imageId']} does not exist in {self.ctx.region}"
            )
        with self.errors(target, "DescribeInstanceTypes", "template.instanceType"):
            try:
                ec2.describe_instance_types(InstanceTypes=[template["instanceType"]])
            except Exception as exc:
                if not is_code(exc, ["InvalidInstanceType"]):
                    raise
                raise self.config_error(
                    target,
                    "template.instanceType",
                    f"instance type {template['instanceType']} does not exist in {self.ctx.region}",
                ) from None

    # -- observe ----------------------------------------------------------------------------
    def _describe(self, **kwargs: Any) -> list[dict[str, Any]]:
        pages = self._ec2().get_paginator("describe_instances").paginate(**kwargs)
        return [i for page in pages for r in page["Reservations"] for i in r["Instances"]]

    def _instances(self, targets: Sequence[Target]) -> dict[str, list[dict[str, Any]]]:
        """Every instance of these deployments, by ``Kind/name``, with its status check."""
        with self.errors(targets[0], "DescribeInstances"):
            items = self._describe(Filters=self.owned_filter(targets))
        by_resource: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            key = tagging.from_list(item.get("Tags")).get(tagging.RESOURCE_TAG, "")
            by_resource.setdefault(key, []).append(item)
        live = [i["InstanceId"] for i in items if i["State"]["Name"] not in ("terminated", "shutting-down")]
        wants_status = any(
            set(self.desired(t)["healthCheck"].get("unhealthyStates", [])) & set(STATUS_STATES)
            for t in targets
        )
        if live and wants_status:
            statuses: dict[str, dict[str, Any]] = {}
            ec2 = self._ec2()
            for start in range(0, len(live), 100):
                with self.errors(targets[0], "DescribeInstanceStatus"):
                    answer = ec2.describe_instance_status(
                        InstanceIds=live[start : start + 100], IncludeAllInstances=True
                    )
                statuses.update({s["InstanceId"]: s for s in answer["InstanceStatuses"]})
            for item in items:
                item["_status"] = statuses.get(item["InstanceId"], {})
        return by_resource

    def _machine(self, item: dict[str, Any], desired: Mapping[str, Any]) -> Machine:
        status = item.get("_status", {}).get("InstanceStatus", {})
        impaired = [d.get("ImpairedSince") for d in status.get("Details", []) if d.get("ImpairedSince")]
        return Machine(
            id=item["InstanceId"],
            state=item["State"]["Name"],
            launched=item["LaunchTime"],
            current=self._template_of(item, desired) == self._comparable(desired),
            status=str(status.get("Status", "ok")),
            impaired_since=min(impaired) if impaired else None,
        )

    @staticmethod
    def _comparable(desired: Mapping[str, Any]) -> dict[str, Any]:
        template = desired["template"]
        return {
            "imageId": template["imageId"],
            "instanceType": template["instanceType"],
            "subnet": template["subnet"],
            "securityGroups": sorted(template.get("securityGroups") or []),
            "userData": template.get("userData", ""),
        }

    def _template_of(self, item: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
        """The instance's launch template in the spec's terms. User data cannot be read in a
        batch: its hash, tagged at launch, tells whether it is the declared one."""
        template = desired["template"]
        tags = tagging.from_list(item.get("Tags"))
        user_data = template.get("userData", "")
        seen_hash = tags.get(USER_DATA_TAG, "")
        groups = sorted(g["GroupId"] for g in item.get("SecurityGroups", []))
        return {
            "imageId": item.get("ImageId"),
            "instanceType": item.get("InstanceType"),
            "subnet": item.get("SubnetId", ""),
            # no declared groups: AWS chose the VPC's default group, which is as declared
            "securityGroups": groups if template.get("securityGroups") else [],
            "userData": user_data if seen_hash == user_data_hash(user_data) else f"(sha256 {seen_hash})",
        }

    def fleet(self, target: Target, items: Sequence[dict[str, Any]]) -> Fleet:
        desired = self.desired(target)
        machines = [self._machine(i, desired) for i in items]
        # observing never refuses: check() refuses a bad strategy before a change, with its place
        return Fleet.of(machines, self.settings(target, strict=False), self.clock())

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._fleets: dict[ResourceKey, Fleet] = {}  # as last observed: the plan explains its step

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        by_resource = self._instances(targets)
        out: dict[ResourceKey, Observation] = {}
        for t in targets:
            desired = self.desired(t)
            items = by_resource.get(str(t.key), [])
            fleet = self._fleets[t.key] = self.fleet(t, items)
            if not fleet.machines and desired.get("replicas", 1) > 0:
                out[t.key] = Observation.missing()
                continue
            by_id = {i["InstanceId"]: i for i in items}
            serving = [by_id[m.id] for m in fleet.serving]
            template = dict(desired["template"])
            outdated = [by_id[m.id] for m in fleet.serving if not m.current]
            if outdated:
                template.update(self._template_of(outdated[0], desired))
                groups = template["securityGroups"]
                if sorted(desired["template"]["securityGroups"]) == groups:
                    template["securityGroups"] = desired["template"]["securityGroups"]
            for item in serving:
                tags = tagging.user_tags(tagging.from_list(item.get("Tags")))
                if tags != template.get("tags", {}):
                    template["tags"] = tags
                    break
            state = {**desired, "replicas": len(fleet.serving), "template": template}
            conditions = {"RemediationPaused": fleet.paused_message()} if fleet.paused else {}
            out[t.key] = Observation(True, state, self._outputs(fleet), self.ctx.app, conditions)
        return out

    @staticmethod
    def _outputs(fleet: Fleet) -> dict[str, Any]:
        return {"instanceIds": [m.id for m in fleet.serving], "readyReplicas": len(fleet.ready)}

    # -- changes ----------------------------------------------------------------------------
    def create(self, target: Target) -> Applied:
        return self._converge(target)

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        return self._converge(target)

    def _converge(self, target: Target) -> Applied:
        """Steps until the fleet is as declared; a rollout that outlasts its budget (instances
        that never become ready) is a temporary error: the engine comes back to it."""
        self.check(target)
        self.check_template(target)
        deadline = self.clock() + ROLLOUT_BUDGET
        settings = self.settings(target)
        steps = 4 * (settings.replicas + settings.max_surge) + 20
        for step_number in range(steps):
            items = self._instances([target]).get(str(target.key), [])
            fleet = self.fleet(target, items)
            step = next_step(fleet)
            if step.done:
                break
            if step.terminate:
                self._terminate(
                    target, [i for i, _ in step.terminate], "; ".join(r for _, r in step.terminate)
                )
            if step.launch:
                self._launch(target, step.launch, fleet, step_number)
            if step.waiting:
                if self.clock() > deadline:
                    raise TemporaryError(
                        f"{target.key}: rollout not finished after {ROLLOUT_BUDGET}: waiting for "
                        f"{', '.join(step.waiting)} to be running and healthy"
                    )
                self.sleep(POLL_SECONDS)
        else:
            raise TemporaryError(
                f"{target.key}: rollout not finished after {steps} steps (instances that fail as "
                "soon as they start?); it is retried"
            )
        self._sync_tags(target, [i for i in items if i["InstanceId"] in {m.id for m in fleet.serving}])
        return Applied(self._outputs(fleet))

    def _launch(self, target: Target, count: int, fleet: Fleet, step_number: int) -> None:
        template = self.desired(target)["template"]
        tags = {**self.desired_tags(target), USER_DATA_TAG: user_data_hash(template.get("userData", ""))}
        # one token per step: the SDK's retry of a lost answer launches no twins, while a later
        # step (the instances of this one failed at once) launches anew
        live = sorted(m.id for m in fleet.machines)
        seed = f"{self.ctx.app}/{target.key}/{live}/{count}/{step_number}"
        token = hashlib.sha256(seed.encode()).hexdigest()
        request: dict[str, Any] = {
            "ImageId": template["imageId"],
            "InstanceType": template["instanceType"],
            "SubnetId": template["subnet"],
            "MinCount": count,
            "MaxCount": count,
            "ClientToken": token,
            "TagSpecifications": [{"ResourceType": "instance", "Tags": tagging.to_list(tags)}],
        }
        if template.get("securityGroups"):
            request["SecurityGroupIds"] = list(template["securityGroups"])
        if template.get("userData"):
            request["UserData"] = template["userData"]
        with self.errors(target, "RunInstances", "template"):
            try:
                self._ec2().run_instances(**request)
            except Exception as exc:
                for codes, field in (
                    (["InvalidAMIID.NotFound", "InvalidAMIID.Malformed"], "template.imageId"),
                    (["InvalidInstanceType"], "template.instanceType"),
                    (["InvalidSubnetID.NotFound"], "template.subnet"),
                    (["InvalidGroup.NotFound"], "template.securityGroups"),
                ):
                    if is_code(exc, codes):
                        raise self.config_error(target, field, str(exc)) from None
                raise

    def _terminate(self, target: Target, ids: Sequence[str], reason: str) -> None:
        log.info("%s: terminating %s (%s)", target.key, ", ".join(ids), reason)
        with self.errors(target, f"TerminateInstances ({reason})"):
            try:
                self._ec2().terminate_instances(InstanceIds=list(ids))
            except Exception as exc:
                if not is_code(exc, ["InvalidInstanceID.NotFound"]):
                    raise

    def _sync_tags(self, target: Target, items: Sequence[dict[str, Any]]) -> None:
        """Template tags change in place, on every instance (no rollout for a tag)."""
        ec2 = self._ec2()
        for item in items:
            actual = tagging.from_list(item.get("Tags"))
            # each instance keeps the user-data mark of its own launch
            wanted = {**self.desired_tags(target), USER_DATA_TAG: actual.get(USER_DATA_TAG, "")}
            delta = tagging.TagDelta.between(actual, wanted)
            with self.errors(target, "CreateTags", "template.tags"):
                if delta.set:
                    ec2.create_tags(Resources=[item["InstanceId"]], Tags=tagging.to_list(delta.set))
                if delta.remove:
                    ec2.delete_tags(Resources=[item["InstanceId"]], Tags=[{"Key": k} for k in delta.remove])

    def desired_tags(self, target: Target) -> dict[str, str]:
        template = self.desired(target).get("template") or {}
        claim = target.annotations.get(CLAIM_ANNOTATION)
        return tagging.desired(template, self.ctx.app, str(target.key), claim)

    def delete(self, target: Target, observed: Observation) -> None:
        """Terminate every instance and wait, within a bound, until AWS says they are gone
        (a subnet or group deleted next would otherwise still be in use)."""
        deadline = self.clock() + DELETE_BUDGET
        while True:
            items = self._instances([target]).get(str(target.key), [])
            running = [i["InstanceId"] for i in items if i["State"]["Name"] != "terminated"]
            if not running:
                return
            if self.clock() > deadline:
                raise TemporaryError(
                    f"{target.key}: instances {', '.join(running)} still shutting down after "
                    f"{DELETE_BUDGET}; the delete is retried"
                )
            live = [
                i["InstanceId"] for i in items if i["State"]["Name"] not in ("terminated", "shutting-down")
            ]
            if live:
                self._terminate(target, live, "delete")
            else:
                self.sleep(POLL_SECONDS)

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        """The plan shows the first step and why: a launch, a rollout, a remediation."""
        self.check_template(target)
        replicas = self.desired(target).get("replicas", 1)
        if not observed.exists:
            return [f"ec2:RunInstances x{replicas} (create)"]
        paths = {c.path.split(".")[0] for c in diff}
        out: list[str] = []
        if "template" in paths:
            changed = sorted({c.path for c in diff if c.path.startswith("template.")} - {"template.tags"})
            if changed:
                what = ", ".join(changed)
                out.append(f"rolling replacement ({what} changed): ec2:RunInstances, ec2:TerminateInstances")
            if any(c.path.startswith("template.tags") for c in diff):
                out.append("ec2:CreateTags")
        fleet = self._fleets.get(target.key)
        step = next_step(fleet) if fleet is not None else None
        if step is not None and "replicas" in paths:  # the first step, with its reason
            out.extend(f"ec2:TerminateInstances {i} ({reason})" for i, reason in step.terminate)
            if step.launch:
                out.append(f"ec2:RunInstances x{step.launch} ({step.reason})")
        if "replicas" in paths and not out:
            out.append(f"ec2:RunInstances/ec2:TerminateInstances to reach {replicas} replicas")
        return out
