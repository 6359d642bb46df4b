"""SecurityGroup: rules compared as sets of (protocol, ports, CIDR) atoms.

AWS groups rules its own way (one permission with several ranges) and returns them in its own
order; a user may write one rule with two CIDRs or two rules with one each. Both sides are
broken into atoms, so only a real difference is drift, and an update authorizes the missing
atoms before it revokes the extra ones (the group is never more closed than both states). AWS
adds an allow-all egress rule to every new group: that is the schema's default for ``egress``.
Every group of a batch is read with one DescribeSecurityGroups call.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from kedge.model import KindSpec, Observation, ProviderError, ResourceKey
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import is_code
from kedge.providers.aws.kinds.base import API_VERSION, top_fields
from kedge.providers.aws.kinds.ec2 import Ec2Handler
from kedge.providers.base import Applied, FieldChange, Target

PROTOCOLS = {
    "-1": "all",
    "all": "all",
    "6": "tcp",
    "tcp": "tcp",
    "17": "udp",
    "udp": "udp",
    "1": "icmp",
    "icmp": "icmp",
    "58": "icmpv6",
    "icmpv6": "icmpv6",
}
WIRE = {"all": "-1"}
ALLOW_ALL = [{"protocol": "all", "cidrs": ["0.0.0.0/0"]}]

RULE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["protocol", "cidrs"],
    "properties": {
        "protocol": {
            "type": "string",
            "description": "tcp, udp, icmp, icmpv6, all, or an IP protocol number.",
        },
        "fromPort": {
            "type": "integer",
            "minimum": -1,
            "maximum": 65535,
            "description": "First port (tcp, udp), or ICMP type.",
        },
        "toPort": {"type": "integer", "minimum": -1, "maximum": 65535, "description": "Default: fromPort."},
        "cidrs": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string"},
            "description": "IPv4 or IPv6.",
        },
    },
}

SPEC = KindSpec(
    api_version=API_VERSION,
    kind="SecurityGroup",
    description="A VPC security group; rules are sets: order and grouping do not matter.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["vpc"],
        "properties": {
            "vpc": {"type": "string", "description": "VPC id, usually fromResource VPC id."},
            "groupName": {"type": "string", "maxLength": 255, "description": "Default: metadata.name."},
            "description": {
                "type": "string",
                "default": "Managed by Kedge",
                "maxLength": 255,
                "description": "Group description (cannot change in place).",
            },
            "ingress": {
                "type": "array",
                "default": [],
                "items": RULE_SCHEMA,
                "description": "Inbound rules (a set).",
            },
            "egress": {
                "type": "array",
                "default": ALLOW_ALL,
                "items": RULE_SCHEMA,
                "description": "Outbound rules (a set). Default: allow all, as AWS creates it.",
            },
            "tags": tagging.TAGS_SCHEMA,
        },
    },
    outputs={"id": "security group id (sg-...)", "arn": "ARN of the group", "name": "group name"},
    replace_on=frozenset({"vpc", "groupName", "description"}),
    name_refs={"vpc": "VPC"},
)


class Atom(NamedTuple):
    protocol: str
    from_port: int | None
    to_port: int | None
    cidr: str

    def text(self) -> str:
        ports = (
            ""
            if self.from_port is None
            else (
                f" {self.from_port}"
                if self.from_port == self.to_port
                else f" {self.from_port}-{self.to_port}"
            )
        )
        return f"{self.protocol}{ports} {self.cidr}"


def _protocol(value: Any) -> str:
    text = str(value).lower()
    return PROTOCOLS.get(text, text)


def rule_atoms(rule: dict[str, Any]) -> list[Atom]:
    protocol = _protocol(rule.get("protocol", "all"))
    if protocol == "all":
        low = high = None
    else:
        low = rule.get("fromPort")
        high = rule.get("toPort", low)
        if low is not None and high is None:
            high = low
    return [
        Atom(protocol, low, high, str(ipaddress.ip_network(str(c), strict=False)))
        for c in rule.get("cidrs", [])
    ]


def permission_atoms(permission: dict[str, Any]) -> list[Atom]:
    protocol = _protocol(permission.get("IpProtocol", "-1"))
    low, high = (None, None) if protocol == "all" else (permission.get("FromPort"), permission.get("ToPort"))
    cidrs = [r["CidrIp"] for r in permission.get("IpRanges", [])] + [
        r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])
    ]
    return [Atom(protocol, low, high, str(ipaddress.ip_network(c, strict=False))) for c in cidrs]


def grouped(atoms: Iterable[Atom]) -> list[dict[str, Any]]:
    """Atoms as rules: one per (protocol, ports), CIDRs sorted."""
    groups: dict[tuple[str, int | None, int | None], list[str]] = {}
    for atom in atoms:
        groups.setdefault((atom.protocol, atom.from_port, atom.to_port), []).append(atom.cidr)
    rules = []
    for (protocol, low, high), cidrs in sorted(
        groups.items(), key=lambda g: (g[0][0], g[0][1] or -2, g[0][2] or -2)
    ):
        rule: dict[str, Any] = {"protocol": protocol}
        if low is not None:
            rule["fromPort"], rule["toPort"] = low, high
        rule["cidrs"] = sorted(cidrs)
        rules.append(rule)
    return rules


def permissions(atoms: Iterable[Atom]) -> list[dict[str, Any]]:
    """Atoms in the IpPermissions shape of the EC2 API."""
    out = []
    for rule in grouped(atoms):
        permission: dict[str, Any] = {"IpProtocol": WIRE.get(rule["protocol"], rule["protocol"])}
        if "fromPort" in rule:
            permission["FromPort"], permission["ToPort"] = rule["fromPort"], rule["toPort"]
        v4 = [c for c in rule["cidrs"] if ":" not in c]
        v6 = [c for c in rule["cidrs"] if ":" in c]
        if v4:
            permission["IpRanges"] = [{"CidrIp": c} for c in v4]
        if v6:
            permission["Ipv6Ranges"] = [{"CidrIpv6": c} for c in v6]
        out.append(permission)
    return out


class SecurityGroup(Ec2Handler):
    spec = SPEC
    id_prefix, id_filter, resource_type = "sg-", "group-id", "security-group"

    def check(self, target: Target) -> None:
        for direction in ("ingress", "egress"):
            seen: dict[Atom, int] = {}
            for i, rule in enumerate(target.spec.get(direction) or []):
                protocol = _protocol(rule.get("protocol", ""))
                if protocol not in PROTOCOLS.values() and not protocol.isdigit():
                    raise self.config_error(
                        target, f"{direction}[{i}].protocol", f"unknown protocol {protocol!r}"
                    )
                if protocol in ("tcp", "udp") and rule.get("fromPort") is None:
                    raise self.config_error(
                        target, f"{direction}[{i}].fromPort", f"{protocol} rules need ports"
                    )
                low, high = rule.get("fromPort"), rule.get("toPort", rule.get("fromPort"))
                if protocol in ("tcp", "udp") and low is not None and high is not None and low > high:
                    raise self.config_error(target, f"{direction}[{i}]", "fromPort is above toPort")
                for cidr in rule.get("cidrs", []):
                    try:
                        ipaddress.ip_network(str(cidr), strict=True)
                    except ValueError as exc:
                        raise self.config_error(target, f"{direction}[{i}].cidrs", str(exc)) from None
                for atom in rule_atoms(rule):
                    if atom in seen:
                        raise self.config_error(
                            target,
                            f"{direction}[{i}]",
                            f"duplicate rule: {atom.text()} is already in {direction}[{seen[atom]}]",
                        )
                    seen[atom] = i
        name = target.spec.get("groupName") or target.key.name
        if str(name).lower().startswith("sg-"):
            raise self.config_error(target, "groupName", "a group name must not start with sg-")

    def _describe(self, **kwargs: Any) -> list[dict[str, Any]]:
        pages = self._ec2().get_paginator("describe_security_groups").paginate(**kwargs)
        return [g for page in pages for g in page["SecurityGroups"]]

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        found = self.find(targets, self._describe, "GroupId")
        out = {t.key: Observation.missing() for t in targets}
        for t in targets:
            group = found.get(t.key)
            if group is None:
                continue
            desired = self.desired(t)
            all_tags = tagging.from_list(group.get("Tags"))
            state = {
                "vpc": group.get("VpcId"),
                "groupName": group["GroupName"],
                "description": group.get("Description", ""),
                "ingress": self._rules(group.get("IpPermissions", []), desired.get("ingress")),
                "egress": self._rules(group.get("IpPermissionsEgress", []), desired.get("egress")),
                "tags": tagging.user_tags(all_tags),
            }
            out[t.key] = Observation(True, state, self._outputs(group), tagging.owner_of(all_tags))
        return out

    @staticmethod
    def _rules(observed: list[dict[str, Any]], desired: Any) -> list[dict[str, Any]]:
        atoms = {a for p in observed for a in permission_atoms(p)}
        if isinstance(desired, list):
            try:
                if {a for r in desired for a in rule_atoms(r)} == atoms:
                    return list(desired)
            except (ValueError, TypeError):
                pass
        return grouped(atoms)

    def _outputs(self, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": group["GroupId"],
            "name": group["GroupName"],
            "arn": group.get("SecurityGroupArn")
            or self.arn(group.get("OwnerId", ""), f"security-group/{group['GroupId']}"),
        }

    def create(self, target: Target) -> Applied:
        self.require_known(target, "vpc")
        desired = self.desired(target)
        name = desired.get("groupName") or target.key.name
        with self.errors(target, "CreateSecurityGroup"):
            try:
                created = self._ec2().create_security_group(
                    GroupName=name,
                    Description=desired["description"],
                    VpcId=desired["vpc"],
                    TagSpecifications=self.tag_spec(target),
                )
            except Exception as exc:
                if is_code(exc, ["InvalidVpcID.NotFound"]):
                    raise self.config_error(target, "vpc", f"VPC {desired['vpc']} does not exist") from None
                if not is_code(exc, ["InvalidGroup.Duplicate"]):
                    raise
                created = self._retried_twin(target, desired, name, exc)
        group_id = created["GroupId"]
        self._sync_rules(target, group_id, desired, ingress=set(), egress=set(rule_atoms(ALLOW_ALL[0])))
        arn = created.get("SecurityGroupArn") or self.arn(
            self.ctx.account_id(str(target.key)), f"security-group/{group_id}"
        )
        return Applied({"id": group_id, "name": name, "arn": arn})

    def _retried_twin(
        self, target: Target, desired: dict[str, Any], name: str, exc: Exception
    ) -> dict[str, Any]:
        """The group an earlier attempt of this create made (its answer lost, the SDK retried):
        same name in the VPC and this resource's tags. A group of someone else is a conflict."""
        groups = self._describe(
            Filters=[
                *self.owned_filter([target]),
                {"Name": "group-name", "Values": [name]},
                {"Name": "vpc-id", "Values": [desired["vpc"]]},
            ]
        )
        if not groups:
            raise self.config_error(
                target,
                "groupName",
                f"a group named {name} already exists in "
                f"{desired['vpc']} and is not this resource's; choose another name",
            ) from exc
        return {"GroupId": groups[0]["GroupId"], "SecurityGroupArn": groups[0].get("SecurityGroupArn")}

    def _sync_rules(
        self, target: Target, group_id: str, desired: dict[str, Any], ingress: set[Atom], egress: set[Atom]
    ) -> None:
        ec2 = self._ec2()
        calls = (
            ("ingress", ingress, ec2.authorize_security_group_ingress, ec2.revoke_security_group_ingress),
            ("egress", egress, ec2.authorize_security_group_egress, ec2.revoke_security_group_egress),
        )
        for direction, actual, authorize, revoke in calls:
            wanted = {a for r in desired[direction] for a in rule_atoms(r)}
            if wanted - actual:
                with self.errors(target, f"Authorize{direction.title()}", direction):
                    authorize(GroupId=group_id, IpPermissions=permissions(wanted - actual))
            if actual - wanted:
                with self.errors(target, f"Revoke{direction.title()}", direction):
                    revoke(GroupId=group_id, IpPermissions=permissions(actual - wanted))

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        group_id = self.resource_id(target, observed)
        fields = top_fields(diff)
        if fields & {"ingress", "egress"}:
            with self.errors(target, "DescribeSecurityGroups"):
                groups = self._describe(Filters=[{"Name": "group-id", "Values": [group_id]}])
            if not groups:
                raise ProviderError(f"{target.key}: security group {group_id} is gone", temporary=True)
            group = groups[0]
            self._sync_rules(
                target,
                group_id,
                self.desired(target),
                ingress={a for p in group.get("IpPermissions", []) for a in permission_atoms(p)},
                egress={a for p in group.get("IpPermissionsEgress", []) for a in permission_atoms(p)},
            )
        if self.needs_tags(observed, diff):
            self.sync_tags(target, group_id, self.current_tags(target, group_id))
        return Applied(observed.outputs)

    def delete(self, target: Target, observed: Observation) -> None:
        group_id = self.resource_id(target, observed)
        with self.errors(target, "DeleteSecurityGroup"):
            try:
                self._ec2().delete_security_group(GroupId=group_id)
            except Exception as exc:
                if is_code(exc, ["InvalidGroup.NotFound"]):
                    return
                if is_code(exc, ["DependencyViolation"]):
                    raise ProviderError(
                        f"{target.key}: security group {group_id} is still used by network "
                        "interfaces or referenced by other groups",
                        temporary=True,
                    ) from None
                raise

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return [
                "ec2:CreateSecurityGroup",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
            ]
        fields = top_fields(diff)
        return [
            c
            for f, c in (
                ("ingress", "ec2:AuthorizeSecurityGroupIngress"),
                ("egress", "ec2:AuthorizeSecurityGroupEgress"),
                ("tags", "ec2:CreateTags"),
            )
            if f in fields
        ]
