"""Tags: Kedge's ownership marks and the user's own tags, kept apart.

Everything Kedge creates carries ``kedge.dev/app`` (the owning app) and ``kedge.dev/resource``
(``Kind/name`` inside that app), and a resource composed for a claim ``kedge.dev/claim``
(``Kind/name`` of the claim), set in the create call itself where the API allows, so that
ownership survives the loss of Kedge's database and an AWS-named resource (a VPC id) is found
again after a crash. The user's ``tags`` never contain these keys nor AWS's reserved ``aws:``
ones, and the observed ``tags`` leave them out, so neither shows up as drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kedge.model.values import reveal

APP_TAG = "kedge.dev/app"
RESOURCE_TAG = "kedge.dev/resource"
CLAIM_TAG = "kedge.dev/claim"
RESERVED_PREFIXES = ("kedge.dev/", "aws:")

TAGS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "description": "Tags of the resource. Kedge adds kedge.dev/app and kedge.dev/resource itself.",
    "default": {},
    "propertyNames": {"maxLength": 128, "not": {"pattern": "^(kedge\\.dev/|aws:)"}},
    "additionalProperties": {"type": "string", "maxLength": 256},
}


def is_reserved(key: str) -> bool:
    return key.startswith(RESERVED_PREFIXES)


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags a user manages: without Kedge's marks and AWS's reserved tags."""
    return {k: v for k, v in tags.items() if not is_reserved(k)}


def ownership(app: str, resource: str, claim: str | None = None) -> dict[str, str]:
    return {APP_TAG: app, RESOURCE_TAG: resource, **({CLAIM_TAG: claim} if claim else {})}


def desired(spec: Mapping[str, Any], app: str, resource: str, claim: str | None = None) -> dict[str, str]:
    """The full tag map a resource should carry: the spec's tags plus the ownership marks."""
    tags = {str(k): str(v) for k, v in (reveal(spec.get("tags")) or {}).items()}
    return {**tags, **ownership(app, resource, claim)}


def from_list(
    items: Iterable[Mapping[str, Any]] | None, key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    return {str(item[key]): str(item.get(value, "")) for item in items or ()}


def to_list(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


@dataclass(frozen=True)
class TagDelta:
    """What to send so that ``actual`` becomes ``wanted`` (reserved ``aws:`` tags untouched)."""

    set: dict[str, str]
    remove: list[str]

    @classmethod
    def between(cls, actual: Mapping[str, str], wanted: Mapping[str, str]) -> TagDelta:
        to_set = {k: v for k, v in wanted.items() if actual.get(k) != v}
        to_remove = sorted(k for k in actual if k not in wanted and not k.startswith("aws:"))
        return cls(to_set, to_remove)

    def __bool__(self) -> bool:
        return bool(self.set or self.remove)


def owner_of(tags: Mapping[str, str]) -> str | None:
    return tags.get(APP_TAG) or None


def owned_by(tags: Mapping[str, str], app: str, resource: str) -> bool:
    return tags.get(APP_TAG) == app and tags.get(RESOURCE_TAG) == resource
