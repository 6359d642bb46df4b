"""Subnet: a range of a VPC in one availability zone; found again through its ownership tags.

A CIDR that overlaps another subnet is refused with the name of that subnet (and of the Kedge
resource it belongs to); a retried create that meets the subnet its own lost attempt made
takes that one instead of failing.
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

SUBNET_SPEC = KindSpec(
    api_version=API_VERSION,
    kind="Subnet",
    description="A subnet of a VPC; name the VPC with {fromResource: {kind: VPC, name: ..., field: id}}.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["vpc", "cidrBlock"],
        "properties": {
            "vpc": {"type": "string", "description": "VPC id, usually fromResource VPC id."},
            "cidrBlock": {
                **CIDR_SCHEMA,
                "description": "IPv4 range inside the VPC's, not overlapping others.",
            },
            "availabilityZone": {"type": "string", "description": "e.g. us-east-1a (default: AWS picks)."},
            "mapPublicIpOnLaunch": {
                "type": "boolean",
                "default": False,
                "description": "Give instances launched here a public IPv4 address.",
            },
            "tags": tagging.TAGS_SCHEMA,
        },
    },
    outputs={
        "id": "subnet id (subnet-...)",
        "arn": "ARN of the subnet",
        "availabilityZone": "zone it lives in",
        "vpcId": "id of its VPC",
    },
    replace_on=frozenset({"vpc", "cidrBlock", "availabilityZone"}),
    name_refs={"vpc": "VPC"},
)


class Subnet(Ec2Handler):
    spec = SUBNET_SPEC
    id_prefix, id_filter, resource_type = "subnet-", "subnet-id", "subnet"

    def check(self, target: Target) -> None:
        problem = cidr_problem(target.spec.get("cidrBlock"))
        if problem:
            raise self.config_error(target, "cidrBlock", problem)
        zone = target.spec.get("availabilityZone")
        if isinstance(zone, str) and not zone.startswith(self.ctx.region):
            raise self.config_error(
                target, "availabilityZone", f"{zone} is not in the ProviderConfig's region {self.ctx.region}"
            )

    def _describe(self, **kwargs: Any) -> list[dict[str, Any]]:
        pages = self._ec2().get_paginator("describe_subnets").paginate(**kwargs)
        return [s for page in pages for s in page["Subnets"]]

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        found = self.find(targets, self._describe, "SubnetId")
        out = {t.key: Observation.missing() for t in targets}
        for t in targets:
            subnet = found.get(t.key)
            if subnet is None:
                continue
            all_tags = tagging.from_list(subnet.get("Tags"))
            state = {
                "vpc": subnet["VpcId"],
                "cidrBlock": subnet["CidrBlock"],
                "availabilityZone": subnet["AvailabilityZone"],
                "mapPublicIpOnLaunch": bool(subnet.get("MapPublicIpOnLaunch", False)),
                "tags": tagging.user_tags(all_tags),
            }
            out[t.key] = Observation(True, state, self._outputs(subnet), tagging.owner_of(all_tags))
        return out

    def _outputs(self, subnet: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": subnet["SubnetId"],
            "arn": subnet.get("SubnetArn")
            or self.arn(subnet.get("OwnerId", ""), f"subnet/{subnet['SubnetId']}"),
            "availabilityZone": subnet["AvailabilityZone"],
            "vpcId": subnet["VpcId"],
        }

    def create(self, target: Target) -> Applied:
        self.require_known(target, "vpc")
        desired = self.desired(target)
        args: dict[str, Any] = {
            "VpcId": desired["vpc"],
            "CidrBlock": desired["cidrBlock"],
            "TagSpecifications": self.tag_spec(target),
        }
        if desired.get("availabilityZone"):
            args["AvailabilityZone"] = desired["availabilityZone"]
        ec2 = self._ec2()
        try:
            with self.errors(target, "CreateSubnet", "cidrBlock"):
                subnet = ec2.create_subnet(**args)["Subnet"]
        except Exception as exc:
            mine = self._retried_twin(target, desired) if "InvalidSubnet.Conflict" in str(exc) else None
            if mine is None:
                raise self._explain(target, desired, exc) from None
            subnet = mine
        if desired["mapPublicIpOnLaunch"]:
            with self.errors(target, "ModifySubnetAttribute", "mapPublicIpOnLaunch"):
                ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})
        return Applied(self._outputs(subnet))

    def _retried_twin(self, target: Target, desired: dict[str, Any]) -> dict[str, Any] | None:
        """The subnet an earlier attempt of this very create made (its answer lost, the SDK
        retried and hit the conflict with it): same CIDR, this resource's tags."""
        with self.errors(target, "DescribeSubnets (retried create)"):
            subnets = self._describe(Filters=self.owned_filter([target]))
        return next((s for s in subnets if s["CidrBlock"] == desired["cidrBlock"]), None)

    def _explain(self, target: Target, desired: dict[str, Any], exc: Exception) -> Exception:
        """Name the subnet a CIDR overlaps, or the VPC that does not exist."""
        text = str(exc)
        if "InvalidVpcID.NotFound" in text:
            return self.config_error(target, "vpc", f"VPC {desired['vpc']} does not exist")
        if "InvalidSubnet.Conflict" in text:
            mine = ipaddress.IPv4Network(desired["cidrBlock"])
            others = self._describe(Filters=[{"Name": "vpc-id", "Values": [desired["vpc"]]}])
            clashes = [
                f"{s['SubnetId']} {s['CidrBlock']}"
                + (
                    f" ({owner})"
                    if (owner := tagging.from_list(s.get("Tags")).get(tagging.RESOURCE_TAG))
                    else ""
                )
                for s in others
                if ipaddress.IPv4Network(s["CidrBlock"]).overlaps(mine)
            ]
            return self.config_error(
                target,
                "cidrBlock",
                f"{mine} overlaps {', '.join(clashes) or 'another subnet'} in {desired['vpc']}",
            )
        if "InvalidSubnet.Range" in text:
            return self.config_error(
                target, "cidrBlock", f"{desired['cidrBlock']} is not inside the range of VPC {desired['vpc']}"
            )
        return exc

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        subnet_id = self.resource_id(target, observed)
        desired = self.desired(target)
        if "mapPublicIpOnLaunch" in top_fields(diff):
            with self.errors(target, "ModifySubnetAttribute", "mapPublicIpOnLaunch"):
                self._ec2().modify_subnet_attribute(
                    SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": desired["mapPublicIpOnLaunch"]}
                )
        if self.needs_tags(observed, diff):
            self.sync_tags(target, subnet_id, self.current_tags(target, subnet_id))
        return Applied(observed.outputs)

    def delete(self, target: Target, observed: Observation) -> None:
        subnet_id = self.resource_id(target, observed)
        with self.errors(target, "DeleteSubnet"):
            try:
                self._ec2().delete_subnet(SubnetId=subnet_id)
            except Exception as exc:
                if is_code(exc, ["InvalidSubnetID.NotFound"]):
                    return
                if is_code(exc, ["DependencyViolation"]):
                    raise ProviderError(
                        f"{target.key}: subnet {subnet_id} still has network interfaces; "
                        "delete what runs in it first",
                        temporary=True,
                    ) from None
                raise

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return ["ec2:CreateSubnet"]
        fields = top_fields(diff)
        return [
            c
            for f, c in (("mapPublicIpOnLaunch", "ec2:ModifySubnetAttribute"), ("tags", "ec2:CreateTags"))
            if f in fields
        ]
