"""What the azure provider serves: the kinds' schemas and outputs, and Azure's naming rules.

Names are checked before any call (``name_problem``) so that a bad name is refused in the
plan, not by the service halfway through an apply. Ownership marks live in the metadata of
containers and queues under ``kedge_app`` and ``kedge_resource``, and ``kedge_claim``
(``Kind/name``) for one composed for a claim (metadata names must be C# identifiers, so the
``kedge.dev/`` prefix of other providers cannot be used); a table has no metadata and carries
no mark.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kedge.model import KindSpec

API_VERSION = "azure.kedge.dev/v1"
APP_MARK = "kedge_app"
RESOURCE_MARK = "kedge_resource"
CLAIM_MARK = "kedge_claim"

METADATA_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "default": {},
    "description": "User metadata (name: value). Names are C# identifiers; Kedge adds "
    "kedge_app and kedge_resource itself, so names starting with kedge_ are reserved.",
    "propertyNames": {
        "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,62}$",
        "not": {"pattern": "^[Kk][Ee][Dd][Gg][Ee]_"},
    },
    "additionalProperties": {"type": "string", "maxLength": 4096},
}

CONTAINER = KindSpec(
    api_version=API_VERSION,
    kind="StorageContainer",
    description=(
        "A blob container in the ProviderConfig's storage account. The container name is "
        "metadata.name or kedge.dev/external-name. Deleting a container that holds blobs is "
        "refused: empty it first, or set kedge.dev/deletion-policy: Orphan."
    ),
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "publicAccess": {
                "enum": ["none", "blob", "container"],
                "default": "none",
                "description": "Anonymous read access: none, blob (read blobs by URL) or "
                "container (also list the container).",
            },
            "metadata": METADATA_SCHEMA,
        },
    },
    outputs={"name": "container name", "url": "URL of the container"},
)

QUEUE = KindSpec(
    api_version=API_VERSION,
    kind="StorageQueue",
    description="A storage queue in the ProviderConfig's account. The queue name is "
    "metadata.name or kedge.dev/external-name.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {"metadata": METADATA_SCHEMA},
    },
    outputs={"name": "queue name", "url": "URL of the queue"},
)

TABLE = KindSpec(
    api_version=API_VERSION,
    kind="StorageTable",
    description=(
        "A table in the ProviderConfig's account (Table storage). The table name is "
        "metadata.name or kedge.dev/external-name. Tables hold no metadata, so they carry no "
        "ownership mark: Kedge's inventory is the record of who owns them."
    ),
    schema={"type": "object", "additionalProperties": False, "properties": {}},
    outputs={"name": "table name", "url": "URL of the table service"},
)

KINDS: Mapping[str, KindSpec] = {spec.kind: spec for spec in (CONTAINER, QUEUE, TABLE)}

_DASHED = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$")
_TABLE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def name_problem(kind: str, name: str) -> str | None:
    """Why Azure would refuse ``name`` for ``kind``, or None."""
    if not 3 <= len(name) <= 63:
        return "must be 3 to 63 characters long"
    if kind == TABLE.kind:
        if not _TABLE.match(name):
            return "may hold only letters and digits, and must begin with a letter"
        if name.lower() == "tables":
            return "'tables' is reserved by the service"
        return None
    if not _DASHED.match(name):
        return (
            "may hold only lowercase letters, digits and single hyphens, and must begin and end "
            "with a letter or digit"
        )
    return None
