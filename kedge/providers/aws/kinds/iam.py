"""IAMRole and IAMPolicy: IAM is global, so these ignore the region.

IAM has no read over many names at once that stays cheap in a large account, so roles and
policies are read with per-name calls on the thread pool, in stages (the role, then its policy
lists, then each inline document) so the pool is never waited on from inside itself. Every
document is checked against the IAM grammar before it is sent and compared as JSON when read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kedge.model import KindSpec, Observation, ProviderError, ResourceKey
from kedge.providers.aws import policy as policies
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import is_code
from kedge.providers.aws.kinds.base import API_VERSION, Handler, is_unknown, top_fields
from kedge.providers.base import Applied, FieldChange, Target

NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
PATH = re.compile(r"^/([\x21-\x7e]*/)?$")
PATH_SCHEMA = {"type": "string", "default": "/", "pattern": "^/(.*/)?$", "description": "IAM path."}

ROLE = KindSpec(
    api_version=API_VERSION,
    kind="IAMRole",
    description="An IAM role with its trust policy, inline policies and attached managed policies.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["assumeRolePolicy"],
        "properties": {
            "assumeRolePolicy": {
                **policies.POLICY_SCHEMA,
                "description": "Trust policy: who may assume the role.",
            },
            "description": {
                "type": "string",
                "default": "",
                "maxLength": 1000,
                "description": "What the role is for.",
            },
            "path": PATH_SCHEMA,
            "maxSessionDuration": {
                "type": "integer",
                "minimum": 3600,
                "maximum": 43200,
                "default": 3600,
                "description": "Longest session, in seconds, for those who assume the role.",
            },
            "inlinePolicies": {
                "type": "object",
                "default": {},
                "description": "Inline policies by name.",
                "additionalProperties": policies.POLICY_SCHEMA,
            },
            "managedPolicyArns": {
                "type": "array",
                "default": [],
                "uniqueItems": True,
                "description": "ARNs of managed policies to attach (a set: order does not matter).",
                "items": {"type": "string"},
            },
            "tags": tagging.TAGS_SCHEMA,
        },
    },
    outputs={"arn": "ARN of the role", "name": "role name", "id": "role id (AROA...)"},
    replace_on=frozenset({"path"}),
)

POLICY = KindSpec(
    api_version=API_VERSION,
    kind="IAMPolicy",
    description="A customer managed IAM policy. A changed document becomes a new default version.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["document"],
        "properties": {
            "document": {**policies.POLICY_SCHEMA, "description": "The policy document (identity policy)."},
            "description": {
                "type": "string",
                "default": "",
                "maxLength": 1000,
                "description": "What the policy is for (cannot change in place).",
            },
            "path": PATH_SCHEMA,
            "tags": tagging.TAGS_SCHEMA,
        },
    },
    outputs={"arn": "ARN of the policy", "name": "policy name", "id": "policy id (ANPA...)"},
    replace_on=frozenset({"path", "description"}),
)


def _check_name_and_path(handler: Handler, target: Target) -> None:
    if not NAME.match(target.external_id):
        raise handler.config_error(
            target, None, f"invalid IAM name {target.external_id!r}: up to 64 letters, digits and +=,.@_-"
        )
    path = target.spec.get("path", "/")
    if not isinstance(path, str) or not PATH.match(path):
        raise handler.config_error(target, "path", f"{path!r} must start and end with /")


def _set_view(observed: list[str], desired: Any) -> list[str]:
    """A list compared as a set: the desired order when the sets agree."""
    if isinstance(desired, list) and set(map(str, desired)) == set(observed):
        return list(desired)
    return sorted(observed)


class IAMRole(Handler):
    spec = ROLE

    def _iam(self) -> Any:
        return self.ctx.client("iam")

    def check(self, target: Target) -> None:
        _check_name_and_path(self, target)
        found = policies.problems(target.spec.get("assumeRolePolicy"), policies.Place.TRUST)
        if found:
            raise self.config_error(target, "assumeRolePolicy", "invalid trust policy: " + "; ".join(found))
        for name, document in (target.spec.get("inlinePolicies") or {}).items():
            if not NAME.match(str(name)) or len(str(name)) > 128:
                raise self.config_error(target, f"inlinePolicies.{name}", "invalid policy name")
            found = policies.problems(document, policies.Place.IDENTITY)
            if found:
                raise self.config_error(
                    target, f"inlinePolicies.{name}", "invalid policy: " + "; ".join(found)
                )
        for arn in target.spec.get("managedPolicyArns") or []:
            if is_unknown(arn):
                raise self.config_error(
                    target, "managedPolicyArns", "refers to a policy that has not been created (did it fail?)"
                )

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        roles = self.ctx.map(self._get_role, targets)
        present = [(t, r) for t, r in zip(targets, roles, strict=True) if r is not None]
        lists = self.ctx.map(lambda tr: self._lists(tr[0]), present)
        inline_jobs = [(t, name) for (t, _), (names, _) in zip(present, lists, strict=True) for name in names]
        documents = self.ctx.map(lambda job: self._inline(*job), inline_jobs)
        inline: dict[ResourceKey, dict[str, Any]] = {}
        for (t, name), document in zip(inline_jobs, documents, strict=True):
            inline.setdefault(t.key, {})[name] = document
        out = {t.key: Observation.missing() for t in targets}
        for (t, role), (_, attached) in zip(present, lists, strict=True):
            out[t.key] = self._observation(t, role, inline.get(t.key, {}), attached)
        return out

    def _get_role(self, target: Target) -> dict[str, Any] | None:
        with self.errors(target, "GetRole"):
            try:
                role: dict[str, Any] = self._iam().get_role(RoleName=target.external_id)["Role"]
                return role
            except Exception as exc:
                if is_code(exc, ["NoSuchEntity"]):
                    return None
                raise

    def _lists(self, target: Target) -> tuple[list[str], list[str]]:
        iam, name = self._iam(), target.external_id
        with self.errors(target, "ListRolePolicies"):
            names = [
                n
                for page in iam.get_paginator("list_role_policies").paginate(RoleName=name)
                for n in page["PolicyNames"]
            ]
        with self.errors(target, "ListAttachedRolePolicies"):
            attached = [
                p["PolicyArn"]
                for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
                for p in page["AttachedPolicies"]
            ]
        return names, attached

    def _inline(self, target: Target, name: str) -> Any:
        with self.errors(target, "GetRolePolicy", f"inlinePolicies.{name}"):
            return self._iam().get_role_policy(RoleName=target.external_id, PolicyName=name)["PolicyDocument"]

    def _observation(
        self, target: Target, role: dict[str, Any], inline: dict[str, Any], attached: list[str]
    ) -> Observation:
        desired = self.desired(target)
        wanted_inline = desired.get("inlinePolicies") or {}
        all_tags = tagging.from_list(role.get("Tags"))
        state = {
            "assumeRolePolicy": policies.shown(
                role.get("AssumeRolePolicyDocument"), desired.get("assumeRolePolicy")
            ),
            "description": role.get("Description") or "",
            "path": role.get("Path", "/"),
            "maxSessionDuration": int(role.get("MaxSessionDuration") or 3600),
            "inlinePolicies": {n: policies.shown(d, wanted_inline.get(n)) for n, d in inline.items()},
            "managedPolicyArns": _set_view(attached, desired.get("managedPolicyArns")),
            "tags": tagging.user_tags(all_tags),
        }
        outputs = {"arn": role["Arn"], "name": role["RoleName"], "id": role["RoleId"]}
        return Observation(True, state, outputs, tagging.owner_of(all_tags))

    def create(self, target: Target) -> Applied:
        iam, desired, name = self._iam(), self.desired(target), target.external_id
        with self.errors(target, "CreateRole"):
            try:
                role = iam.create_role(
                    RoleName=name,
                    Path=desired["path"],
                    AssumeRolePolicyDocument=policies.to_json(desired["assumeRolePolicy"]),
                    Description=desired["description"],
                    MaxSessionDuration=desired["maxSessionDuration"],
                    Tags=tagging.to_list(self.desired_tags(target)),
                )["Role"]
            except Exception as exc:
                if not is_code(exc, ["EntityAlreadyExists"]):
                    raise
                role = iam.get_role(RoleName=name)["Role"]
        self._sync_policies(target, desired, {}, [])
        return Applied({"arn": role["Arn"], "name": role["RoleName"], "id": role["RoleId"]})

    def _sync_policies(
        self, target: Target, desired: dict[str, Any], inline: dict[str, Any], attached: list[str]
    ) -> None:
        iam, name = self._iam(), target.external_id
        wanted = desired.get("inlinePolicies") or {}
        for policy_name, document in sorted(wanted.items()):
            if policy_name not in inline or not policies.same(inline[policy_name], document):
                with self.errors(target, "PutRolePolicy", f"inlinePolicies.{policy_name}"):
                    iam.put_role_policy(
                        RoleName=name, PolicyName=policy_name, PolicyDocument=policies.to_json(document)
                    )
        for policy_name in sorted(set(inline) - set(wanted)):
            with self.errors(target, "DeleteRolePolicy", f"inlinePolicies.{policy_name}"):
                iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        want_arns = [str(a) for a in desired.get("managedPolicyArns") or []]
        for arn in sorted(set(want_arns) - set(attached)):
            with self.errors(target, "AttachRolePolicy", "managedPolicyArns"):
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        for arn in sorted(set(attached) - set(want_arns)):
            with self.errors(target, "DetachRolePolicy", "managedPolicyArns"):
                iam.detach_role_policy(RoleName=name, PolicyArn=arn)

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        iam, desired, name = self._iam(), self.desired(target), target.external_id
        fields = top_fields(diff)
        if "assumeRolePolicy" in fields:
            with self.errors(target, "UpdateAssumeRolePolicy", "assumeRolePolicy"):
                iam.update_assume_role_policy(
                    RoleName=name, PolicyDocument=policies.to_json(desired["assumeRolePolicy"])
                )
        if fields & {"description", "maxSessionDuration"}:
            with self.errors(target, "UpdateRole", "description"):
                iam.update_role(
                    RoleName=name,
                    Description=desired["description"],
                    MaxSessionDuration=desired["maxSessionDuration"],
                )
        if fields & {"inlinePolicies", "managedPolicyArns"}:
            names, attached = self._lists(target)
            inline = {n: self._inline(target, n) for n in names}
            self._sync_policies(target, desired, inline, attached)
        if self.needs_tags(observed, diff):
            with self.errors(target, "ListRoleTags", "tags"):
                actual = tagging.from_list(iam.list_role_tags(RoleName=name)["Tags"])
            delta = tagging.TagDelta.between(actual, self.desired_tags(target))
            with self.errors(target, "TagRole", "tags"):
                if delta.set:
                    iam.tag_role(RoleName=name, Tags=tagging.to_list(delta.set))
                if delta.remove:
                    iam.untag_role(RoleName=name, TagKeys=delta.remove)
        return Applied(observed.outputs)

    def delete(self, target: Target, observed: Observation) -> None:
        iam, name = self._iam(), target.external_id
        with self.errors(target, "DeleteRole"):
            try:
                names, attached = self._lists(target)
                for policy_name in names:
                    iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
                for arn in attached:
                    iam.detach_role_policy(RoleName=name, PolicyArn=arn)
                for profile in iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]:
                    iam.remove_role_from_instance_profile(
                        InstanceProfileName=profile["InstanceProfileName"], RoleName=name
                    )
                iam.delete_role(RoleName=name)
            except Exception as exc:
                if not is_code(exc, ["NoSuchEntity"]):
                    raise

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"]
        names = {
            "assumeRolePolicy": "UpdateAssumeRolePolicy",
            "description": "UpdateRole",
            "maxSessionDuration": "UpdateRole",
            "inlinePolicies": "PutRolePolicy",
            "managedPolicyArns": "AttachRolePolicy",
            "tags": "TagRole",
        }
        return sorted({f"iam:{names[f]}" for f in top_fields(diff) if f in names})


class IAMPolicy(Handler):
    spec = POLICY
    MAX_VERSIONS = 5

    def _iam(self) -> Any:
        return self.ctx.client("iam")

    def _arn(self, target: Target) -> str:
        path = target.spec.get("path", "/")
        account = self.ctx.account_id(str(target.key))
        return f"arn:aws:iam::{account}:policy{path}{target.external_id}"

    def check(self, target: Target) -> None:
        _check_name_and_path(self, target)
        document = target.spec.get("document")
        found = policies.problems(document, policies.Place.IDENTITY, current_version=True)
        if found:
            raise self.config_error(target, "document", "invalid policy: " + "; ".join(found))
        if len(policies.to_json(document).replace(" ", "")) > 6144:
            raise self.config_error(target, "document", "longer than the 6144 characters IAM allows")

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        with self.errors(targets[0], "ListPolicies"):
            pages = self._iam().get_paginator("list_policies").paginate(Scope="Local")
            by_name = {p["PolicyName"]: p for page in pages for p in page["Policies"]}
        present = [t for t in targets if t.external_id in by_name]
        reads = self.ctx.map(lambda t: self._read(t, by_name[t.external_id]), present)
        out = {t.key: Observation.missing() for t in targets}
        for t, read in zip(present, reads, strict=True):
            out[t.key] = read
        return out

    def _read(self, target: Target, listed: dict[str, Any]) -> Observation:
        iam, arn = self._iam(), listed["Arn"]
        with self.errors(target, "GetPolicy"):
            policy = iam.get_policy(PolicyArn=arn)["Policy"]
            version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])[
                "PolicyVersion"
            ]
            all_tags = tagging.from_list(iam.list_policy_tags(PolicyArn=arn)["Tags"])
        desired = self.desired(target)
        state = {
            "document": policies.shown(version["Document"], desired.get("document")),
            "description": policy.get("Description") or "",
            "path": policy.get("Path", "/"),
            "tags": tagging.user_tags(all_tags),
        }
        outputs = {"arn": arn, "name": policy["PolicyName"], "id": policy["PolicyId"]}
        return Observation(True, state, outputs, tagging.owner_of(all_tags))

    def create(self, target: Target) -> Applied:
        desired = self.desired(target)
        with self.errors(target, "CreatePolicy"):
            try:
                policy = self._iam().create_policy(
                    PolicyName=target.external_id,
                    Path=desired["path"],
                    PolicyDocument=policies.to_json(desired["document"]),
                    Description=desired["description"],
                    Tags=tagging.to_list(self.desired_tags(target)),
                )["Policy"]
            except Exception as exc:
                if not is_code(exc, ["EntityAlreadyExists"]):
                    raise
                policy = self._iam().get_policy(PolicyArn=self._arn(target))["Policy"]
        return Applied({"arn": policy["Arn"], "name": policy["PolicyName"], "id": policy["PolicyId"]})

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        iam, desired, arn = self._iam(), self.desired(target), observed.outputs["arn"]
        if "document" in top_fields(diff):
            with self.errors(target, "CreatePolicyVersion", "document"):
                versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
                old = sorted(
                    (v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"]
                )
                if len(versions) >= self.MAX_VERSIONS and old:
                    iam.delete_policy_version(PolicyArn=arn, VersionId=old[0]["VersionId"])
                iam.create_policy_version(
                    PolicyArn=arn, PolicyDocument=policies.to_json(desired["document"]), SetAsDefault=True
                )
        if self.needs_tags(observed, diff):
            with self.errors(target, "TagPolicy", "tags"):
                actual = tagging.from_list(iam.list_policy_tags(PolicyArn=arn)["Tags"])
                delta = tagging.TagDelta.between(actual, self.desired_tags(target))
                if delta.set:
                    iam.tag_policy(PolicyArn=arn, Tags=tagging.to_list(delta.set))
                if delta.remove:
                    iam.untag_policy(PolicyArn=arn, TagKeys=delta.remove)
        return Applied(observed.outputs)

    def delete(self, target: Target, observed: Observation) -> None:
        iam = self._iam()
        arn = observed.outputs.get("arn") or target.outputs.get("arn") or self._arn(target)
        with self.errors(target, "DeletePolicy"):
            try:
                for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
                    if not version["IsDefaultVersion"]:
                        iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
                iam.delete_policy(PolicyArn=arn)
            except Exception as exc:
                if is_code(exc, ["NoSuchEntity"]):
                    return
                if is_code(exc, ["DeleteConflict"]):
                    users = iam.list_entities_for_policy(PolicyArn=arn)
                    names = (
                        [r["RoleName"] for r in users.get("PolicyRoles", [])]
                        + [u["UserName"] for u in users.get("PolicyUsers", [])]
                        + [g["GroupName"] for g in users.get("PolicyGroups", [])]
                    )
                    raise ProviderError(
                        f"{target.key}: policy is still attached to {', '.join(names)}; detach it first",
                        temporary=True,
                    ) from None
                raise

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return ["iam:CreatePolicy"]
        fields = top_fields(diff)
        return [
            c for f, c in (("document", "iam:CreatePolicyVersion"), ("tags", "iam:TagPolicy")) if f in fields
        ]
