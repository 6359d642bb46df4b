"""CloudFormationStack: an existing CloudFormation template run as part of an app (after Cello).

The plan is the stack's change set: ``preview`` creates one, reads its resource-level actions
(``Modify AWS::S3::Bucket Logs (replacement: False)``) and deletes it. Apply creates the change
set again, executes it and waits, logging each stack event as progress; a failed execution is
rolled back by CloudFormation and reported with the failing resource's reason. Drift is the
stack's own drift detection where the API offers it, else Kedge compares the template's
literal properties with the resources of a few common types (``cfn_drift``), and puts them
back itself, since a change set cannot.

The observed state is the deployed template (with drifted property values in place),
parameters, capabilities and tags; with ``templateFile`` the template's text is compared and a
difference is described in one line instead of printed whole.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from kedge.model import KindSpec, Observation, ProviderError, ResourceKey, TemporaryError
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import error_code, is_code
from kedge.providers.aws.kinds import cfn_drift, cfn_template
from kedge.providers.aws.kinds.base import API_VERSION, Handler
from kedge.providers.base import Applied, FieldChange, Target

log = logging.getLogger("kedge.progress.aws.cloudformation")  # shown by kedge apply

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
REDO = {"ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS", "ROLLBACK_FAILED", "CREATE_FAILED"}
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
WAIT_BUDGET = timedelta(minutes=60)
POLL_SECONDS = 2.0

SPEC = KindSpec(
    api_version=API_VERSION,
    kind="CloudFormationStack",
    description="A CloudFormation stack: the plan is its change set, drift its drift detection.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "oneOf": [{"required": ["template"]}, {"required": ["templateFile"]}],
        "properties": {
            "template": {"type": "object", "description": "The template, as a mapping."},
            "templateFile": {
                "type": "string",
                "description": "A template file relative to this manifest: .json, or YAML outside "
                "the app's manifest path.",
            },
            "parameters": {
                "type": "object",
                "default": {},
                "additionalProperties": {"type": ["string", "number", "boolean"]},
                "description": "Template parameters by name.",
            },
            "capabilities": {
                "type": "array",
                "items": {"type": "string", "enum": CAPABILITIES},
                "default": [],
                "description": "What the template may create (CAPABILITY_IAM for IAM resources).",
            },
            "tags": tagging.TAGS_SCHEMA,
        },
    },
    outputs={
        "id": "stack id (ARN)",
        "status": "stack status, e.g. UPDATE_COMPLETE",
        "outputs": "the stack's outputs by name: fromResource field outputs.NAME",
    },
    file_fields={"templateFile": "templateBody"},
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _param(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class CloudFormationStack(Handler):
    spec = SPEC
    clock: Callable[[], datetime] = staticmethod(_utcnow)
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def _cfn(self) -> Any:
        return self.ctx.client("cloudformation")

    # -- the template -------------------------------------------------------------------
    def template(self, target: Target) -> tuple[dict[str, Any], str]:
        """The declared template and the body to send; ConfigError naming the field."""
        spec = self.desired(target)
        if "templateFile" in spec:
            body = spec.get("templateBody")
            if not isinstance(body, str):
                raise self.config_error(target, "templateFile", "the file was not read (render it first)")
            field = "templateFile"
        else:
            body = json.dumps(spec.get("template"), sort_keys=True)
            field = "template"
        try:
            return cfn_template.parse(body), body
        except ValueError as exc:
            raise self.config_error(target, field, f"the template does not parse: {exc}") from None

    def check(self, target: Target) -> None:
        parsed, _ = self.template(target)
        field = "templateFile" if "templateFile" in target.spec else "template"
        missing = cfn_template.unresolved(parsed)
        if missing:
            raise self.config_error(
                target, field, f"the template refers to {', '.join(missing)}, which it does not declare"
            )
        declared = parsed.get("Parameters") or {}
        for name in self.desired(target).get("parameters", {}):
            if name not in declared:
                raise self.config_error(
                    target, f"parameters.{name}", "the template declares no such parameter"
                )

    # -- observe ------------------------------------------------------------------------
    def _stack(self, target: Target) -> dict[str, Any] | None:
        with self.errors(target, "DescribeStacks"):
            try:
                stacks = self._cfn().describe_stacks(StackName=target.external_id)["Stacks"]
            except Exception as exc:
                if is_code(exc, ["ValidationError"]) and "does not exist" in str(exc):
                    return None
                raise
        live = [s for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"]
        return live[0] if live else None

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        return dict(zip([t.key for t in targets], self.ctx.map(self._observe, targets), strict=True))

    def _observe(self, target: Target) -> Observation:
        stack = self._stack(target)
        if stack is None or stack["StackStatus"] in ("REVIEW_IN_PROGRESS",):
            return Observation.missing()
        desired = self.desired(target)
        with self.errors(target, "GetTemplate"):
            body = self._cfn().get_template(StackName=stack["StackId"])["TemplateBody"]
        deployed = body if isinstance(body, dict) else cfn_template.parse(str(body))
        drifts = cfn_drift.detect(self.ctx, target, stack, deployed, self.clock, self.sleep)
        state: dict[str, Any] = {}
        if "templateFile" in desired:
            state["templateFile"] = desired["templateFile"]
            try:
                same = cfn_template.parse(str(desired.get("templateBody", ""))) == deployed
            except ValueError:
                same = False
            state["templateBody"] = (
                desired.get("templateBody")
                if same and not drifts
                else "(deployed template differs from the file)"
                if not same
                else "(resources drifted: " + "; ".join(d.text() for d in drifts) + ")"
            )
        else:
            state["template"] = cfn_drift.with_actual(deployed, drifts)
        actual_params = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
        state["parameters"] = {
            k: v if actual_params.get(k) in (_param(v), "****") else actual_params.get(k)
            for k, v in desired.get("parameters", {}).items()
        }
        caps = sorted(stack.get("Capabilities", []))
        wanted_caps = desired.get("capabilities", [])
        state["capabilities"] = wanted_caps if sorted(wanted_caps) == caps else caps
        all_tags = tagging.from_list(stack.get("Tags"))
        state["tags"] = tagging.user_tags(all_tags)
        return Observation(True, state, self._outputs(stack), tagging.owner_of(all_tags))

    @staticmethod
    def _outputs(stack: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": stack["StackId"],
            "status": stack["StackStatus"],
            "outputs": {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])},
        }

    # -- change sets ----------------------------------------------------------------------
    def _change_set(self, target: Target, kind: str) -> tuple[str, dict[str, Any]]:
        """Create a change set and wait until it is ready; (name, its description)."""
        _, body = self.template(target)
        desired = self.desired(target)
        stamp = hashlib.sha256(f"{body}{desired.get('parameters')}{self.clock()}".encode()).hexdigest()[:12]
        name = f"kedge-{stamp}"
        request: dict[str, Any] = {
            "StackName": target.external_id,
            "ChangeSetName": name,
            "ChangeSetType": kind,
            "TemplateBody": body,
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": _param(v)}
                for k, v in desired.get("parameters", {}).items()
            ],
            "Capabilities": list(desired.get("capabilities", [])),
            "Tags": tagging.to_list(self.desired_tags(target)),
        }
        cfn = self._cfn()
        with self.errors(target, "CreateChangeSet"):
            try:
                cfn.create_change_set(**request)
            except Exception as exc:
                if is_code(exc, ["ValidationError", "InsufficientCapabilitiesException"]):
                    raise self.config_error(target, None, f"the change set was refused: {exc}") from None
                raise
        deadline = self.clock() + WAIT_BUDGET
        while True:
            with self.errors(target, "DescribeChangeSet"):
                described: dict[str, Any] = cfn.describe_change_set(
                    StackName=target.external_id, ChangeSetName=name
                )
            if described.get("Status") in ("CREATE_COMPLETE", "FAILED"):
                return name, described
            if self.clock() > deadline:
                raise TemporaryError(f"{target.key}: change set {name} not ready after {WAIT_BUDGET}")
            self.sleep(POLL_SECONDS)

    def _drop_change_set(self, target: Target, name: str) -> None:
        with self.errors(target, "DeleteChangeSet"):
            self._cfn().delete_change_set(StackName=target.external_id, ChangeSetName=name)

    def _failed(self, target: Target, name: str, described: Mapping[str, Any], kind: str) -> bool:
        """True when the change set has nothing to do; raises when it failed for a reason."""
        if described.get("Status") != "FAILED":
            return False
        reason = str(described.get("StatusReason") or "no reason given")
        self._drop_change_set(target, name)
        if any(text in reason for text in NO_CHANGES):
            return True
        if kind == "CREATE":  # the empty stack a CREATE change set leaves behind
            self._delete_stack(target)
        raise self.config_error(target, None, f"the change set failed: {reason}; the stack is unchanged")

    def actions(self, target: Target, described: Mapping[str, Any], deployed: Mapping[str, Any]) -> list[str]:
        """The change set's resource-level actions, with whether each replaces its resource."""
        declared, _ = self.template(target)
        params_changed = bool(described.get("Parameters"))
        out: list[str] = []
        for change in described.get("Changes", []):
            rc = change.get("ResourceChange", {})
            action, logical, rtype = rc.get("Action"), rc.get("LogicalResourceId"), rc.get("ResourceType")
            line = f"{action} {rtype} {logical}"
            if action == "Modify":
                answer = rc.get("Replacement") or cfn_template.replacement(
                    str(rtype),
                    (deployed.get("Resources", {}).get(logical) or {}).get("Properties"),
                    (declared.get("Resources", {}).get(logical) or {}).get("Properties"),
                    params_changed,
                )
                line += " (replacement: " + ("may replace" if answer == "Conditional" else answer) + ")"
            out.append(line)
        return out

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        declared, _ = self.template(target)
        if not observed.exists:
            return [f"Add {r.get('Type')} {name}" for name, r in sorted(declared["Resources"].items())]
        with self.errors(target, "GetTemplate"):
            body = self._cfn().get_template(StackName=target.external_id)["TemplateBody"]
        deployed = body if isinstance(body, dict) else cfn_template.parse(str(body))
        name, described = self._change_set(target, "UPDATE")
        if self._failed(target, name, described, "UPDATE"):
            return [f"put back drifted properties: {p}" for p in self._drift_paths(diff)]
        self._drop_change_set(target, name)
        return self.actions(target, described, deployed)

    @staticmethod
    def _drift_paths(diff: Sequence[FieldChange]) -> list[str]:
        return [c.path for c in diff if c.path.startswith(("template.", "templateBody"))]

    # -- apply --------------------------------------------------------------------------
    def create(self, target: Target) -> Applied:
        return self._deploy(target)

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        return self._deploy(target)

    def _deploy(self, target: Target) -> Applied:
        self.check(target)
        stack = self._stack(target)
        if stack is not None and stack["StackStatus"] in REDO:
            self._delete_stack(target)  # a stack that never got created is started over
            stack = None
        kind = "UPDATE" if stack is not None else "CREATE"
        name, described = self._change_set(target, kind)
        if not self._failed(target, name, described, kind):
            started = self.clock()
            with self.errors(target, "ExecuteChangeSet"):
                self._cfn().execute_change_set(StackName=target.external_id, ChangeSetName=name)
            stack = self._wait(target, started)
            if stack["StackStatus"] not in DONE:
                with self.errors(target, "DescribeStackEvents"):
                    events = self._cfn().describe_stack_events(StackName=stack["StackId"])["StackEvents"]
                raise ProviderError(
                    f"{target.key}: the stack ended in {stack['StackStatus']} (CloudFormation rolled "
                    f"the change back): {cfn_template.failure(events, started)}"
                )
        stack = self._stack(target)
        if stack is None:
            raise ProviderError(f"{target.key}: the stack is gone after its change set ran", temporary=True)
        declared, _ = self.template(target)
        cfn_drift.repair(self.ctx, target, stack, declared)
        cfn_drift.forget(stack["StackId"])
        return Applied(self._outputs(stack))

    def _wait(self, target: Target, started: datetime) -> dict[str, Any]:
        """Poll the stack until it settles; each new event is logged as progress."""
        deadline = started + WAIT_BUDGET
        seen: set[str] = set()
        while True:
            stack = self._stack(target)
            if stack is None:
                raise ProviderError(f"{target.key}: the stack disappeared while it was changing")
            with self.errors(target, "DescribeStackEvents"):
                events = self._cfn().describe_stack_events(StackName=stack["StackId"])["StackEvents"]
            for event in reversed(events):
                if event.get("EventId") not in seen:
                    seen.add(str(event.get("EventId")))
                    log.info(
                        "%s: %s %s %s",
                        target.key,
                        event.get("LogicalResourceId"),
                        event.get("ResourceStatus"),
                        event.get("ResourceStatusReason") or "",
                    )
            if not stack["StackStatus"].endswith("_IN_PROGRESS"):
                return stack
            if self.clock() > deadline:
                raise TemporaryError(f"{target.key}: still {stack['StackStatus']} after {WAIT_BUDGET}")
            self.sleep(POLL_SECONDS)

    def _delete_stack(self, target: Target) -> None:
        stack = self._stack(target)
        if stack is None:
            return
        with self.errors(target, "DeleteStack"):
            self._cfn().delete_stack(StackName=stack["StackId"])
        deadline = self.clock() + WAIT_BUDGET
        while True:
            with self.errors(target, "DescribeStacks"):
                try:
                    current = self._cfn().describe_stacks(StackName=stack["StackId"])["Stacks"][0]
                except Exception as exc:
                    if error_code(exc) == "ValidationError":
                        return
                    raise
            status = current["StackStatus"]
            if status == "DELETE_COMPLETE":
                return
            if status == "DELETE_FAILED":
                with self.errors(target, "DescribeStackEvents"):
                    events = self._cfn().describe_stack_events(StackName=stack["StackId"])["StackEvents"]
                raise ProviderError(
                    f"{target.key}: the stack could not be deleted: {cfn_template.failure(events)}"
                )
            if self.clock() > deadline:
                raise TemporaryError(
                    f"{target.key}: still {status} after {WAIT_BUDGET}; the delete is retried"
                )
            self.sleep(POLL_SECONDS)

    def delete(self, target: Target, observed: Observation) -> None:
        self._delete_stack(target)
