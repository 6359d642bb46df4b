"""Route53Zone and Route53Record (public hosted zones and their record sets).

Zones are named by AWS (``Z0123...``) and several may share a domain name, so a zone is found
by the id Kedge recorded, by ``kedge.dev/external-name`` (a zone id), or by its ownership:
the tags, or, for a crash between CreateHostedZone and the tagging call, the caller reference
Kedge gives every zone (``kedge/APP/Kind/name/...``). One ListHostedZones call serves a batch.

A record set is identified by (zone, name, type); record sets take no tags. All records of a
zone are read with one paginated ListResourceRecordSets. Values are compared as sets, names
without the trailing dot, TXT values with or without their quotes.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Sequence
from typing import Any

from kedge.model import KindSpec, Observation, ProviderError, ResourceKey
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import is_code
from kedge.providers.aws.kinds.base import API_VERSION, Handler, top_fields
from kedge.providers.base import Applied, FieldChange, Target

EXTERNAL = "kedge.dev/external-name"
ZONE_ID = re.compile(r"^(/hostedzone/)?Z[A-Z0-9]+$")
DOMAIN = re.compile(
    r"^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$"
)
TYPES = ["A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SOA", "SPF", "SRV", "TXT"]

ZONE_SPEC = KindSpec(
    api_version=API_VERSION,
    kind="Route53Zone",
    description="A public hosted zone. AWS assigns its id; Kedge finds it by ownership tags.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "domainName": {"type": "string", "description": "Domain of the zone (default: metadata.name)."},
            "comment": {
                "type": "string",
                "default": "",
                "maxLength": 256,
                "description": "Comment on the zone.",
            },
            "tags": tagging.TAGS_SCHEMA,
        },
    },
    outputs={"id": "zone id (Z...)", "nameServers": "the zone's name servers", "domainName": "domain"},
    replace_on=frozenset({"domainName"}),
)

RECORD_SPEC = KindSpec(
    api_version=API_VERSION,
    kind="Route53Record",
    description="A record set in a hosted zone; name the zone with fromResource Route53Zone id.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["zone", "name", "type", "records"],
        "properties": {
            "zone": {"type": "string", "description": "Hosted zone id, usually fromResource Route53Zone id."},
            "name": {"type": "string", "description": "Fully qualified name, e.g. www.example.com."},
            "type": {"enum": TYPES, "description": "Record type."},
            "ttl": {
                "type": "integer",
                "minimum": 0,
                "maximum": 2147483647,
                "default": 300,
                "description": "Seconds resolvers may cache the answer.",
            },
            "records": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string"},
                "description": "Values (a set). TXT values may be written without quotes.",
            },
        },
    },
    outputs={"fqdn": "the record's name", "zone": "id of its hosted zone"},
    replace_on=frozenset({"zone", "name", "type"}),
    name_refs={"zone": "Route53Zone"},
)


def dns_name(name: Any) -> str:
    return str(name).rstrip(".").lower().replace("\\052", "*")


def zone_id(value: Any) -> str:
    return str(value).rsplit("/", 1)[-1]


class Route53Zone(Handler):
    spec = ZONE_SPEC
    aws_named = True

    def _r53(self) -> Any:
        return self.ctx.client("route53")

    def domain(self, target: Target) -> str:
        return dns_name(target.spec.get("domainName") or target.key.name)

    def reference_prefix(self, target: Target) -> str:
        return f"kedge/{self.ctx.app}/{target.key}/"

    def check(self, target: Target) -> None:
        if not DOMAIN.match(self.domain(target)) or "." not in self.domain(target):
            raise self.config_error(target, "domainName", f"{self.domain(target)!r} is not a domain name")

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        with self.errors(targets[0], "ListHostedZones"):
            zones = [
                z
                for page in self._r53().get_paginator("list_hosted_zones").paginate()
                for z in page["HostedZones"]
            ]
        by_id = {zone_id(z["Id"]): z for z in zones}
        found: dict[ResourceKey, dict[str, Any]] = {}
        candidates: list[tuple[Target, dict[str, Any]]] = []
        for t in targets:
            explicit = t.annotations.get(EXTERNAL, "")
            known = zone_id(explicit) if ZONE_ID.match(explicit) else zone_id(t.outputs.get("id", ""))
            if known in by_id:
                found[t.key] = by_id[known]
            elif not ZONE_ID.match(explicit):
                candidates += [(t, z) for z in zones if dns_name(z["Name"]) == self.domain(t)]
        tag_sets = self._tags([zone_id(z["Id"]) for _, z in candidates], targets[0]) if candidates else {}
        for t, z in candidates:
            zone_tags = tag_sets.get(zone_id(z["Id"]), {})
            mine = tagging.owned_by(zone_tags, self.ctx.app, str(t.key)) or str(
                z.get("CallerReference", "")
            ).startswith(self.reference_prefix(t))
            if mine:
                if t.key in found and found[t.key] is not z:
                    raise ProviderError(
                        f"{t.key}: several zones for {self.domain(t)} belong to it "
                        f"({zone_id(found[t.key]['Id'])}, {zone_id(z['Id'])}); delete the extra one"
                    )
                found[t.key] = z
        if not found:
            return {t.key: Observation.missing() for t in targets}
        ids = sorted({zone_id(z["Id"]) for z in found.values()})
        all_tags = {**tag_sets, **self._tags([i for i in ids if i not in tag_sets], targets[0])}
        servers = dict(zip(ids, self.ctx.map(lambda i: self._name_servers(targets[0], i), ids), strict=True))
        out = {t.key: Observation.missing() for t in targets}
        for t in targets:
            zone = found.get(t.key)
            if zone is None:
                continue
            zid = zone_id(zone["Id"])
            zone_tags = all_tags.get(zid, {})
            state = {
                "domainName": dns_name(zone["Name"]),
                "comment": zone.get("Config", {}).get("Comment") or "",
                "tags": tagging.user_tags(zone_tags),
            }
            outputs = {"id": zid, "nameServers": servers[zid], "domainName": dns_name(zone["Name"])}
            owner = tagging.owner_of(zone_tags) or (
                self.ctx.app
                if str(zone.get("CallerReference", "")).startswith(self.reference_prefix(t))
                else None
            )
            out[t.key] = Observation(True, state, outputs, owner)
        return out

    def _tags(self, ids: list[str], target: Target) -> dict[str, dict[str, str]]:
        chunks = [ids[i : i + 10] for i in range(0, len(ids), 10)]  # the API takes 10 ids per call

        def read(chunk: list[str]) -> list[dict[str, Any]]:
            with self.errors(target, "ListTagsForResources"):
                answer = self._r53().list_tags_for_resources(ResourceType="hostedzone", ResourceIds=chunk)
            return list(answer["ResourceTagSets"])

        out: dict[str, dict[str, str]] = {}
        for sets in self.ctx.map(read, chunks):
            for item in sets:
                out[item["ResourceId"]] = tagging.from_list(item.get("Tags"))
        return out

    def _name_servers(self, target: Target, zid: str) -> list[str]:
        with self.errors(target, "GetHostedZone"):
            zone = self._r53().get_hosted_zone(Id=zid)
        return list(zone.get("DelegationSet", {}).get("NameServers", []))

    def create(self, target: Target) -> Applied:
        desired, r53 = self.desired(target), self._r53()
        reference = (self.reference_prefix(target) + uuid.uuid4().hex)[-128:]
        with self.errors(target, "CreateHostedZone", "domainName"):
            try:
                answer = r53.create_hosted_zone(
                    Name=self.domain(target),
                    CallerReference=reference,
                    HostedZoneConfig={"Comment": desired["comment"]},
                )
            except Exception as exc:
                # the SDK retried a create whose answer was lost: the zone with our reference exists
                if not is_code(exc, ["HostedZoneAlreadyExists"]):
                    raise
                answer = self._by_reference(target, reference)
        zid = zone_id(answer["HostedZone"]["Id"])
        if answer.get("ResponseMetadata", {}).get("RetryAttempts"):
            self._drop_twins(target, reference, zid)
        with self.errors(target, "ChangeTagsForResource", "tags"):
            r53.change_tags_for_resource(
                ResourceType="hostedzone", ResourceId=zid, AddTags=tagging.to_list(self.desired_tags(target))
            )
        servers = list(answer.get("DelegationSet", {}).get("NameServers", []))
        return Applied({"id": zid, "nameServers": servers, "domainName": self.domain(target)})

    def _with_reference(self, target: Target, reference: str) -> list[dict[str, Any]]:
        domain, found = self.domain(target), []
        args: dict[str, Any] = {"DNSName": domain}
        while True:  # zones come sorted by name, starting at ours; this API has no paginator
            page = self._r53().list_hosted_zones_by_name(**args)
            zones = [z for z in page["HostedZones"] if dns_name(z["Name"]) == domain]
            found += [z for z in zones if z.get("CallerReference") == reference]
            if not page.get("IsTruncated") or len(zones) < len(page["HostedZones"]):
                return found
            args = {"DNSName": page["NextDNSName"], "HostedZoneId": page["NextHostedZoneId"]}

    def _by_reference(self, target: Target, reference: str) -> dict[str, Any]:
        for zone in self._with_reference(target, reference):
            return dict(self._r53().get_hosted_zone(Id=zone["Id"]))
        raise ProviderError(f"{target.key}: AWS says the zone exists but no zone carries Kedge's reference")

    def _drop_twins(self, target: Target, reference: str, kept: str) -> None:
        """AWS refuses a second zone with the same caller reference; a server that does not
        (or did before) leaves twins of a retried create: delete every one but the kept zone."""
        with self.errors(target, "DeleteHostedZone (retried create)"):
            for zone in self._with_reference(target, reference):
                if zone_id(zone["Id"]) != kept:
                    self._r53().delete_hosted_zone(Id=zone["Id"])

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        r53, zid, desired = self._r53(), str(observed.outputs["id"]), self.desired(target)
        if "comment" in top_fields(diff):
            with self.errors(target, "UpdateHostedZoneComment", "comment"):
                r53.update_hosted_zone_comment(Id=zid, Comment=desired["comment"])
        if self.needs_tags(observed, diff):
            actual = self._tags([zid], target).get(zid, {})
            delta = tagging.TagDelta.between(actual, self.desired_tags(target))
            args: dict[str, Any] = {}
            if delta.set:
                args["AddTags"] = tagging.to_list(delta.set)
            if delta.remove:
                args["RemoveTagKeys"] = delta.remove
            if args:
                with self.errors(target, "ChangeTagsForResource", "tags"):
                    r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid, **args)
        return Applied(observed.outputs)

    def delete(self, target: Target, observed: Observation) -> None:
        zid = observed.outputs.get("id") or target.outputs.get("id")
        if not zid:
            return
        with self.errors(target, "DeleteHostedZone"):
            try:
                self._r53().delete_hosted_zone(Id=zid)
            except Exception as exc:
                if is_code(exc, ["NoSuchHostedZone"]):
                    return
                if is_code(exc, ["HostedZoneNotEmpty"]):
                    raise ProviderError(
                        f"{target.key}: zone {zid} still holds records other than SOA and NS; "
                        "delete them first (Kedge deletes its own records before the zone)",
                        temporary=True,
                    ) from None
                raise

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return ["route53:CreateHostedZone", "route53:ChangeTagsForResource"]
        fields = top_fields(diff)
        return [
            c
            for f, c in (
                ("comment", "route53:UpdateHostedZoneComment"),
                ("tags", "route53:ChangeTagsForResource"),
            )
            if f in fields
        ]


def record_values(kind: str, values: Sequence[Any]) -> set[str]:
    """Values as a set, TXT/SPF with their quotes (how Route 53 keeps them)."""
    out = set()
    for value in values:
        text = str(value)
        if kind in ("TXT", "SPF") and not (text.startswith('"') and text.endswith('"')):
            text = f'"{text}"'
        out.add(text.rstrip(".").lower() if kind in ("CNAME", "NS", "PTR", "MX", "SRV") else text)
    return out


class Route53Record(Handler):
    spec = RECORD_SPEC

    def _r53(self) -> Any:
        return self.ctx.client("route53")

    def check(self, target: Target) -> None:
        kind, values = target.spec.get("type"), target.spec.get("records") or []
        name = dns_name(target.spec.get("name", ""))
        if not DOMAIN.match(name):
            raise self.config_error(target, "name", f"{name!r} is not a domain name")
        for i, value in enumerate(values):
            try:
                if kind == "A":
                    ipaddress.IPv4Address(str(value))
                elif kind == "AAAA":
                    ipaddress.IPv6Address(str(value))
            except ValueError:
                raise self.config_error(
                    target, f"records[{i}]", f"{value!r} is not an {kind} address"
                ) from None
        if kind == "CNAME" and len(values) != 1:
            raise self.config_error(target, "records", "a CNAME holds exactly one value")

    @staticmethod
    def _zone(target: Target) -> str | None:
        """The zone id: from the spec when it is resolved, else the one recorded at create (a
        resource being pruned carries its spec as written, references unresolved)."""
        zone = target.spec.get("zone")
        if isinstance(zone, str):
            return zone_id(zone)
        recorded = target.outputs.get("zone")
        return zone_id(recorded) if recorded else None

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        out = {t.key: Observation.missing() for t in targets}
        zones = sorted({z for t in targets if (z := self._zone(t))})
        listed = dict(zip(zones, self.ctx.map(lambda z: self._list(targets[0], z), zones), strict=True))
        for t in targets:
            zone = self._zone(t)
            sets = listed.get(zone) if zone else None
            record = (sets or {}).get((dns_name(t.spec["name"]), t.spec["type"]))
            if zone is None or record is None:
                continue
            values = [r["Value"] for r in record.get("ResourceRecords", [])]
            wanted = t.spec.get("records") or []
            same = record_values(t.spec["type"], values) == record_values(t.spec["type"], wanted)
            state = {
                "zone": t.spec["zone"],
                "name": t.spec["name"],
                "type": record["Type"],
                "ttl": record.get("TTL"),
                "records": list(wanted) if same else values,
            }
            out[t.key] = Observation(True, state, self._outputs(zone, record["Name"]), None)
        return out

    @staticmethod
    def _outputs(zone: str, name: str) -> dict[str, Any]:
        return {"fqdn": dns_name(name), "zone": zone}

    def _list(self, target: Target, zid: str) -> dict[tuple[str, str], dict[str, Any]] | None:
        with self.errors(target, "ListResourceRecordSets", "zone"):
            try:
                pages = self._r53().get_paginator("list_resource_record_sets").paginate(HostedZoneId=zid)
                return {
                    (dns_name(r["Name"]), r["Type"]): r for page in pages for r in page["ResourceRecordSets"]
                }
            except Exception as exc:
                if is_code(exc, ["NoSuchHostedZone"]):
                    return None
                raise

    def _change(self, target: Target, action: str, spec: dict[str, Any], zone: str) -> None:
        record = {
            "Name": dns_name(spec["name"]),
            "Type": spec["type"],
            "TTL": spec["ttl"],
            "ResourceRecords": [{"Value": v} for v in sorted(record_values(spec["type"], spec["records"]))],
        }
        with self.errors(target, f"ChangeResourceRecordSets {action}", "records"):
            self._r53().change_resource_record_sets(
                HostedZoneId=zone,
                ChangeBatch={
                    "Comment": f"kedge {self.ctx.app} {target.key}",
                    "Changes": [{"Action": action, "ResourceRecordSet": record}],
                },
            )

    def create(self, target: Target) -> Applied:
        self.require_known(target, "zone")
        zone = zone_id(target.spec["zone"])
        self._change(target, "UPSERT", self.desired(target), zone)  # UPSERT: a retried create is harmless
        return Applied(self._outputs(zone, target.spec["name"]))

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        zone = zone_id(target.spec["zone"])
        self._change(target, "UPSERT", self.desired(target), zone)
        return Applied(self._outputs(zone, target.spec["name"]))

    def delete(self, target: Target, observed: Observation) -> None:
        zone = self._zone(target) or observed.outputs.get("zone")
        if not zone:
            return
        spec = dict(self.desired(target))
        if observed.exists:
            spec.update({k: observed.state[k] for k in ("ttl", "records") if k in observed.state})
        try:
            self._change(target, "DELETE", spec, str(zone))
        except Exception as exc:
            if "not found" not in str(exc).lower() and "NoSuchHostedZone" not in str(exc):
                raise

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        return ["route53:ChangeResourceRecordSets"]
