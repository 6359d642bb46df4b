"""What exists in an AWS account and region, for ``kedge orphans``: each managed kind with the
app its ``kedge.dev/app`` tag names.

Per kind, two paginated listings whatever the number of objects: the service's own list call
(ListBuckets, ListQueues, ListTopics, ListTables, ListKeys) and one Resource Groups Tagging API
``GetResources`` for Kedge's ownership tag on that resource type. No per-object call: 1,000
buckets cost two requests (and a page more per thousand). An error raises; it is never read
as an empty account. KMS keys also take one ListAliases, to leave out the keys AWS manages
for its own services (``alias/aws/...``); a key scheduled for deletion is still listed (it is
billed until it is deleted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import aws_errors
from kedge.providers.aws.kinds.route53 import dns_name, zone_id
from kedge.providers.aws.session import AwsSession
from kedge.providers.base import Existing


@dataclass(frozen=True)
class _Lister:
    service: str
    operation: str
    tag_type: str  # the Tagging API's ResourceTypeFilters value
    names: Callable[[dict[str, Any]], Iterable[str]]  # names from one page of the list call
    arn_name: Callable[[str], str]  # the name inside an ARN


def _last(separator: str) -> Callable[[str], str]:
    return lambda arn: arn.rsplit(separator, 1)[-1]


LISTERS: dict[str, _Lister] = {
    "S3Bucket": _Lister(
        "s3", "list_buckets", "s3", lambda page: (b["Name"] for b in page.get("Buckets", [])), _last(":")
    ),
    "SQSQueue": _Lister(
        "sqs",
        "list_queues",
        "sqs",
        lambda page: (u.rsplit("/", 1)[-1] for u in page.get("QueueUrls", [])),
        _last(":"),
    ),
    "SNSTopic": _Lister(
        "sns",
        "list_topics",
        "sns",
        lambda page: (t["TopicArn"].rsplit(":", 1)[-1] for t in page.get("Topics", [])),
        _last(":"),
    ),
    "DynamoDBTable": _Lister(
        "dynamodb", "list_tables", "dynamodb:table", lambda page: page.get("TableNames", []), _last("/")
    ),
    "KMSKey": _Lister(
        "kms", "list_keys", "kms:key", lambda page: (k["KeyId"] for k in page.get("Keys", [])), _last("/")
    ),
}


KINDS = (*LISTERS, "Route53Zone")


def list_kind(session: AwsSession, kind: str) -> Sequence[Existing]:
    if kind == "Route53Zone":
        with aws_errors(f"{kind}: list"):
            return _zones(session)
    lister = LISTERS.get(kind)
    if lister is None:
        return ()
    region = session.region
    args = {"BucketRegion": region} if kind == "S3Bucket" else {}
    with aws_errors(f"{kind}: list"):
        client = session.client(lister.service)
        names = [
            n for page in client.get_paginator(lister.operation).paginate(**args) for n in lister.names(page)
        ]
        owners = _owners(session, lister) if names else {}
        if kind == "KMSKey" and names:  # keys AWS manages for its services are nobody's to own
            managed = _aws_managed_keys(session)
            names = [n for n in names if n not in managed]
    return [Existing(kind, name, owners.get(name), {"region": region}) for name in sorted(names)]


def _zones(session: AwsSession) -> list[Existing]:
    """Hosted zones (global): ListHostedZones, then their tags ten zones a call (the API's
    limit; the Tagging API does not cover Route 53). A zone Kedge created but could not tag yet
    is known by its caller reference, ``kedge/<app>/...``."""
    r53 = session.client("route53")
    zones = [z for page in r53.get_paginator("list_hosted_zones").paginate() for z in page["HostedZones"]]
    ids = [zone_id(z["Id"]) for z in zones]
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(ids), 10):
        answer = r53.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=ids[start : start + 10])
        for item in answer.get("ResourceTagSets", []):
            tags[item["ResourceId"]] = tagging.from_list(item.get("Tags"))
    out = []
    for zone, zid in zip(zones, ids, strict=True):
        reference = str(zone.get("CallerReference", ""))
        by_reference = (
            reference.split("/")[1] if reference.startswith("kedge/") and reference.count("/") > 1 else None
        )
        owner = tagging.owner_of(tags.get(zid, {})) or by_reference
        out.append(Existing("Route53Zone", dns_name(zone["Name"]), owner, {}))
    return sorted(out, key=lambda e: e.external_id)


def _aws_managed_keys(session: AwsSession) -> set[str]:
    pages = session.client("kms").get_paginator("list_aliases").paginate()
    return {
        str(a["TargetKeyId"])
        for page in pages
        for a in page.get("Aliases", [])
        if str(a.get("AliasName", "")).startswith("alias/aws/") and a.get("TargetKeyId")
    }


def _owners(session: AwsSession, lister: _Lister) -> dict[str, str]:
    """Name -> app, for every object of the type that carries Kedge's ownership tag."""
    pages = (
        session.client("resourcegroupstaggingapi")
        .get_paginator("get_resources")
        .paginate(TagFilters=[{"Key": tagging.APP_TAG}], ResourceTypeFilters=[lister.tag_type])
    )
    out: dict[str, str] = {}
    for page in pages:
        for item in page.get("ResourceTagMappingList", []):
            owner = tagging.owner_of(tagging.from_list(item.get("Tags")))
            if owner:
                out[lister.arn_name(item["ResourceARN"])] = owner
    return out
