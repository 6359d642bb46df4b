"""VPC: a network with its DNS settings; found again through its ownership tags.

CreateVpc takes no idempotency token, so when the SDK had to retry it, the twins an earlier,
lost attempt made are deleted right away (see ``kinds/ec2.py`` for how VPCs are found).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from kedge.model import KindSpec, Observation, ProviderError, ResourceKey
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import is_code
from kedge.providers.aws.kinds.base import API_VERSION, top_fields
from kedge.providers.aws.kinds.ec2 import CIDR_SCHEMA, Ec2Handler, cidr_problem
from kedge.providers.base import Applied, FieldChange, Target

VPC_SPEC = KindSpec(
    api_version=API_VERSION,
    kind="VPC",
    description="A VPC. AWS assigns its id; Kedge finds it again through its ownership tags.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["cidrBlock"],
        "properties": {
            "cidrBlock": {**CIDR_SCHEMA, "description": "IPv4 range, /16 to /28."},
            "instanceTenancy": {
                "enum": ["default", "dedicated"],
                "default": "default",
                "description": "Tenancy of instances launched in the VPC.",
            },
            "enableDnsSupport": {"type": "boolean", "default": True, "description": "Amazon DNS server on."},
            "enableDnsHostnames": {
                "type": "boolean",
                "default": False,
                "description": "Public DNS host names for instances with public addresses.",
            },
            "tags": tagging.TAGS_SCHEMA,
        },
    },
    outputs={"id": "VPC id (vpc-...)", "arn": "ARN of the VPC", "cidrBlock": "IPv4 range"},
    replace_on=frozenset({"cidrBlock", "instanceTenancy"}),
)


class VPC(Ec2Handler):
    spec = VPC_SPEC
    id_prefix, id_filter, resource_type = "vpc-", "vpc-id", "vpc"

    def check(self, target: Target) -> None:
        problem = cidr_problem(target.spec.get("cidrBlock"))
        if problem:
            raise self.config_error(target, "cidrBlock", problem)
        prefix = ipaddress.IPv4Network(str(target.spec["cidrBlock"])).prefixlen
        if not 16 <= prefix <= 28:
            raise self.config_error(target, "cidrBlock", f"a VPC's range must be /16 to /28, not /{prefix}")

    def _describe(self, **kwargs: Any) -> list[dict[str, Any]]:
        pages = self._ec2().get_paginator("describe_vpcs").paginate(**kwargs)
        return [v for page in pages for v in page["Vpcs"]]

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        found = self.find(targets, self._describe, "VpcId")
        jobs = [
            (t, attr)
            for t in targets
            if t.key in found
            for attr in ("enableDnsSupport", "enableDnsHostnames")
        ]
        values = self.ctx.map(lambda job: self._attribute(job[0], found[job[0].key]["VpcId"], job[1]), jobs)
        attrs: dict[ResourceKey, dict[str, bool]] = {}
        for (t, attr), value in zip(jobs, values, strict=True):
            attrs.setdefault(t.key, {})[attr] = value
        out = {t.key: Observation.missing() for t in targets}
        for t in targets:
            vpc = found.get(t.key)
            if vpc is not None and vpc.get("State") != "deleted":
                all_tags = tagging.from_list(vpc.get("Tags"))
                state = {
                    "cidrBlock": vpc["CidrBlock"],
                    "instanceTenancy": vpc.get("InstanceTenancy", "default"),
                    **attrs[t.key],
                    "tags": tagging.user_tags(all_tags),
                }
                out[t.key] = Observation(True, state, self._outputs(vpc), tagging.owner_of(all_tags))
        return out

    def _attribute(self, target: Target, vpc_id: str, attribute: str) -> bool:
        name = attribute[0].upper() + attribute[1:]
        with self.errors(target, "DescribeVpcAttribute", attribute):
            answer = self._ec2().describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
        return bool(answer[name]["Value"])

    def _outputs(self, vpc: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": vpc["VpcId"],
            "arn": self.arn(vpc.get("OwnerId", ""), f"vpc/{vpc['VpcId']}"),
            "cidrBlock": vpc["CidrBlock"],
        }

    def create(self, target: Target) -> Applied:
        desired = self.desired(target)
        with self.errors(target, "CreateVpc", "cidrBlock"):
            answer = self._ec2().create_vpc(
                CidrBlock=desired["cidrBlock"],
                InstanceTenancy=desired["instanceTenancy"],
                TagSpecifications=self.tag_spec(target),
            )
        vpc = answer["Vpc"]
        if answer.get("ResponseMetadata", {}).get("RetryAttempts"):
            self._drop_twins(target, vpc["VpcId"])
        self._dns(target, vpc["VpcId"], desired, {"enableDnsSupport": True, "enableDnsHostnames": False})
        return Applied(self._outputs(vpc))

    def _drop_twins(self, target: Target, kept: str) -> None:
        """CreateVpc takes no idempotency token: when the SDK had to retry it, an earlier
        attempt whose answer was lost may have made a VPC too. Such twins carry this resource's
        tags and are recorded nowhere: delete them so that exactly one remains."""
        with self.errors(target, "DescribeVpcs (retried create)"):
            twins = [v["VpcId"] for v in self._describe(Filters=self.owned_filter([target]))]
            for vpc_id in twins:
                if vpc_id != kept:
                    self._ec2().delete_vpc(VpcId=vpc_id)

    def _dns(self, target: Target, vpc_id: str, desired: dict[str, Any], current: dict[str, Any]) -> None:
        for attribute in ("enableDnsSupport", "enableDnsHostnames"):  # one attribute per call
            if desired[attribute] != current.get(attribute):
                name = attribute[0].upper() + attribute[1:]
                with self.errors(target, "ModifyVpcAttribute", attribute):
                    self._ec2().modify_vpc_attribute(VpcId=vpc_id, **{name: {"Value": desired[attribute]}})

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        vpc_id = self.resource_id(target, observed)
        self._dns(target, vpc_id, self.desired(target), dict(observed.state))
        if self.needs_tags(observed, diff):
            self.sync_tags(target, vpc_id, self.current_tags(target, vpc_id))
        return Applied(observed.outputs)

    def delete(self, target: Target, observed: Observation) -> None:
        vpc_id = self.resource_id(target, observed)
        with self.errors(target, "DeleteVpc"):
            try:
                self._ec2().delete_vpc(VpcId=vpc_id)
            except Exception as exc:
                if is_code(exc, ["InvalidVpcID.NotFound"]):
                    return
                if is_code(exc, ["DependencyViolation"]):
                    raise ProviderError(
                        f"{target.key}: VPC {vpc_id} still has dependants: "
                        f"{self._dependants(vpc_id)}; delete them first (Kedge deletes its "
                        "own before the VPC)",
                        temporary=True,
                    ) from None
                raise

    def _dependants(self, vpc_id: str) -> str:
        ec2, where = self._ec2(), [{"Name": "vpc-id", "Values": [vpc_id]}]
        found: list[str] = []

        def name(item: dict[str, Any], rid: str) -> str:
            owner = tagging.from_list(item.get("Tags")).get(tagging.RESOURCE_TAG)
            return f"{rid} ({owner})" if owner else rid

        found += [name(s, s["SubnetId"]) for s in ec2.describe_subnets(Filters=where)["Subnets"]]
        found += [
            name(g, g["GroupId"])
            for g in ec2.describe_security_groups(Filters=where)["SecurityGroups"]
            if g.get("GroupName") != "default"
        ]
        found += [
            name(i, i["InternetGatewayId"])
            for i in ec2.describe_internet_gateways(
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
            )["InternetGateways"]
        ]
        return ", ".join(found) or "resources Kedge cannot list (network interfaces, endpoints)"

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return ["ec2:CreateVpc"]
        fields = top_fields(diff)
        return [
            c
            for f, c in (
                ("enableDnsSupport", "ec2:ModifyVpcAttribute"),
                ("enableDnsHostnames", "ec2:ModifyVpcAttribute"),
                ("tags", "ec2:CreateTags"),
            )
            if f in fields
        ]
