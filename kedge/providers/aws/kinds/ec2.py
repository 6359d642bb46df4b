"""How every EC2 kind finds its resources, and what they share.

EC2 names these resources itself (``vpc-0abc...``), so Kedge finds them by the id it last
recorded, by an explicit ``kedge.dev/external-name`` (adoption of an existing id), or else by its
ownership tags, which the create call sets atomically (``TagSpecifications``): a crash between
the create call and Kedge's state write leaves a tagged resource that the next observation
finds, so no second one is made. Each lookup is one describe call with filters over all the ids
or tags of the batch.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import Any

from kedge.model import Observation, ProviderError, ResourceKey
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.kinds.base import Handler
from kedge.providers.base import Target

CIDR_SCHEMA = {"type": "string", "pattern": "^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$"}
EXTERNAL = "kedge.dev/external-name"


def cidr_problem(value: Any) -> str | None:
    try:
        ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as exc:
        return f"{value!r} is not an IPv4 network ({exc})"
    return None


class Ec2Handler(Handler):
    """Shared lookup for kinds whose ids AWS assigns."""

    aws_named = True
    id_prefix = ""
    id_filter = ""
    resource_type = ""

    def _ec2(self) -> Any:
        return self.ctx.client("ec2")

    def explicit_id(self, target: Target) -> str | None:
        """An id given with kedge.dev/external-name: adopt that object, never search by tags."""
        explicit = target.annotations.get(EXTERNAL, "")
        return explicit if explicit.startswith(self.id_prefix) else None

    def known_id(self, target: Target) -> str | None:
        explicit = self.explicit_id(target)
        if explicit:
            return explicit
        known = target.outputs.get("id")
        return str(known) if known else None

    def find(
        self, targets: Sequence[Target], describe: Callable[..., list[dict[str, Any]]], id_key: str
    ) -> dict[ResourceKey, dict[str, Any]]:
        """The AWS object of each target: by id where known, else by ownership tags."""
        found: dict[ResourceKey, dict[str, Any]] = {}
        ids = {t.key: i for t in targets if (i := self.known_id(t))}
        if ids:
            with self.errors(targets[0], f"Describe ({self.id_filter})"):
                by_id = {
                    item[id_key]: item
                    for item in describe(
                        Filters=[{"Name": self.id_filter, "Values": sorted(set(ids.values()))}]
                    )
                }
            found.update({key: by_id[i] for key, i in ids.items() if i in by_id})
        rest = [t for t in targets if t.key not in found and not self.explicit_id(t)]
        if rest:
            with self.errors(rest[0], f"Describe (tag:{tagging.RESOURCE_TAG})"):
                items = describe(Filters=self.owned_filter(rest))
            by_resource: dict[str, list[dict[str, Any]]] = {}
            for item in items:
                by_resource.setdefault(
                    tagging.from_list(item.get("Tags")).get(tagging.RESOURCE_TAG, ""), []
                ).append(item)
            for t in rest:
                matches = by_resource.get(str(t.key), [])
                if len(matches) > 1:
                    ids_text = ", ".join(sorted(m[id_key] for m in matches))
                    raise ProviderError(
                        f"{t.key}: several {self.spec.kind}s carry its ownership tags "
                        f"({ids_text}); delete the extra ones or name one with "
                        f"{EXTERNAL}"
                    )
                if matches:
                    found[t.key] = matches[0]
        return found

    def owned_filter(self, targets: Sequence[Target]) -> list[dict[str, Any]]:
        """Describe filters for the objects that carry these targets' ownership tags."""
        return [
            {"Name": f"tag:{tagging.APP_TAG}", "Values": [self.ctx.app]},
            {"Name": f"tag:{tagging.RESOURCE_TAG}", "Values": sorted({str(t.key) for t in targets})},
        ]

    def owned(self, target: Target, item: dict[str, Any]) -> bool:
        return tagging.owned_by(tagging.from_list(item.get("Tags")), self.ctx.app, str(target.key))

    def tag_spec(self, target: Target) -> list[dict[str, Any]]:
        return [{"ResourceType": self.resource_type, "Tags": tagging.to_list(self.desired_tags(target))}]

    def sync_tags(self, target: Target, resource_id: str, actual: dict[str, str]) -> None:
        delta = tagging.TagDelta.between(actual, self.desired_tags(target))
        ec2 = self._ec2()
        with self.errors(target, "CreateTags", "tags"):
            if delta.set:
                ec2.create_tags(Resources=[resource_id], Tags=tagging.to_list(delta.set))
            if delta.remove:
                ec2.delete_tags(Resources=[resource_id], Tags=[{"Key": k} for k in delta.remove])

    def current_tags(self, target: Target, resource_id: str) -> dict[str, str]:
        with self.errors(target, "DescribeTags", "tags"):
            items = self._ec2().describe_tags(Filters=[{"Name": "resource-id", "Values": [resource_id]}])[
                "Tags"
            ]
        return tagging.from_list(items)

    def resource_id(self, target: Target, observed: Observation) -> str:
        rid = observed.outputs.get("id") or target.outputs.get("id") or self.known_id(target)
        if not rid:
            raise ProviderError(f"{target.key}: no {self.spec.kind} id known")
        return str(rid)

    def arn(self, owner: str, resource: str) -> str:
        return f"arn:aws:ec2:{self.ctx.region}:{owner}:{resource}"
