"""JSON Schemas of the core kinds (``apiVersion: kedge.dev/v1``).

ProviderConfig, Application, Policy, ServerConfig, and a platform team's Definition and
Composition (their templates stay as written: ``${...}`` and secret references are the
compositions package's business, not resolved here). Strict like every kind's schema
(``additionalProperties: false``); durations are strings such as ``30s`` or ``5m``. Secret
fields are typed as strings: ``{fromEnv: ...}`` and the other special values are resolved
before validation. A ProviderConfig's ``settings`` are checked by its provider, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CORE_API_VERSION = "kedge.dev/v1"

DURATION: dict[str, Any] = {
    "type": "string",
    "pattern": "^[0-9]+(ms|s|m|h)$",
    "description": "a duration such as 500ms, 30s, 5m or 1h",
}
_NAME: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$"}


def _strict(properties: Mapping[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": dict(properties),
        **extra,
    }
    if required:
        schema["required"] = list(required)
    return schema


PROVIDER_CONFIG = _strict(
    {
        "provider": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9-]*$",
            "description": "the provider these settings are for: local, postgres, aws, ...",
        },
        "settings": {
            "type": "object",
            "description": "provider settings, checked against the provider's own schema",
            "default": {},
        },
    },
    required=("provider",),
)

_VERIFY = {
    "description": "verify commit or tag signatures before syncing",
    "anyOf": [
        {"type": "boolean"},
        _strict(
            {
                "mode": {
                    "type": "string",
                    "enum": ["head", "none"],
                    "default": "head",
                    "description": "head: the commit to apply must be signed by one of the keys",
                },
                "keys": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "description": "trusted keys: SSH allowed-signers lines or OpenPGP public key blocks",
                },
            }
        ),
    ],
}

APPLICATION = _strict(
    {
        "source": _strict(
            {
                "repoURL": {"type": "string", "minLength": 1},
                "targetRevision": {"type": "string", "minLength": 1, "default": "HEAD"},
                "path": {"type": "string", "default": "."},
                "pollInterval": {**DURATION, "default": "30s"},
                "verify": _VERIFY,
            },
            required=("repoURL",),
        ),
        "syncPolicy": _strict(
            {
                "automated": {"type": "boolean", "default": False},
                "selfHeal": {"type": "boolean", "default": False},
                "prune": {"type": "boolean", "default": False},
                "allowEmpty": {"type": "boolean", "default": False},
                "driftInterval": {**DURATION, "default": "30s"},
            },
            default={},
        ),
        "platform": {
            "type": "boolean",
            "default": False,
            "description": "may declare Definitions and Compositions (admin only)",
        },
    },
    required=("source",),
)

POLICY = _strict(
    {
        "rules": {
            "type": "array",
            "minItems": 1,
            "items": _strict(
                {
                    "name": {"type": "string", "minLength": 1},
                    "kinds": {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "deny": {"type": "string", "minLength": 1, "description": "CEL: true blocks"},
                    "warn": {"type": "string", "minLength": 1, "description": "CEL: true flags"},
                    "message": {"type": "string"},
                },
                required=("name",),
                anyOf=[{"required": ["deny"]}, {"required": ["warn"]}],
            ),
        },
    },
    required=("rules",),
)

SERVER_CONFIG = _strict(
    {
        "db": {"type": "string", "minLength": 1, "description": "state store URL"},
        "adminToken": {"type": "string", "minLength": 1},
        "webhookSecret": {"type": "string", "minLength": 1},
        "auditKey": {"type": "string", "minLength": 1, "description": "Ed25519 key (PEM or base64 seed)"},
        "auditCheckpointInterval": {**DURATION, "default": "5m"},
        "auditPublish": {
            "type": "string",
            "minLength": 1,
            "description": "a file each signed checkpoint is written to (JSON), for a SIEM to pick up",
        },
        "localSources": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "description": "directories under which local repositories and file:// URLs are allowed "
            "as an app's repoURL (none by default); relative to this file",
        },
        "trustedProxies": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "description": "addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For "
            "is believed; from any other peer the header is ignored",
        },
        "priceCatalog": {
            "type": "string",
            "minLength": 1,
            "description": "a price catalog file (JSON) replacing the one shipped with Kedge (docs/cost.md)",
        },
        "notifications": {
            "type": "array",
            "items": _strict(
                {
                    "name": _NAME,
                    "url": {"type": "string", "minLength": 1},
                    "events": {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "secret": {"type": "string", "minLength": 1},
                },
                required=("url",),
            ),
        },
    },
)

_IDENTIFIER = {"type": "string", "pattern": "^[a-z][A-Za-z0-9_]{0,62}$"}
_CEL = {"type": "string", "minLength": 1, "description": "a CEL expression (without ${...})"}

DEFINITION = _strict(
    {
        "group": {
            "type": "string",
            "pattern": "^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$",
            "description": "claims use apiVersion GROUP/VERSION; a DNS name outside kedge.dev",
        },
        "version": {"type": "string", "pattern": "^v[0-9]+[a-z0-9]*$", "default": "v1"},
        "description": {"type": "string"},
        "schema": {"type": "object", "description": "JSON Schema of a claim's spec"},
        "outputs": {
            "type": "object",
            "additionalProperties": {"type": "string", "minLength": 1},
            "description": "name -> ${...} expression over the composed resources",
        },
        "defaultComposition": _NAME,
        "migration": {
            "type": "string",
            "enum": ["copyObjects"],
            "description": "when a claim changes Composition: copy every object of its old stores "
            "into the new ones before the old resources are deleted (docs/migration.md)",
        },
    },
    required=("group", "schema"),
)

COMPOSITION = _strict(
    {
        "definition": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]{0,62}$"},
        "description": {"type": "string"},
        "resources": {
            "type": "array",
            "items": _strict(
                {
                    "id": _IDENTIFIER,
                    "template": {"type": "object", "description": "a manifest; ${...} are CEL"},
                    "includeWhen": _CEL,
                    "readyWhen": _CEL,
                },
                required=("id", "template"),
            ),
            "default": [],
        },
        "function": {
            "type": "string",
            "minLength": 1,
            "description": "a composition function installed in the kedge.functions entry point group",
        },
    },
    required=("definition",),
)

CORE_SCHEMAS: Mapping[str, Mapping[str, Any]] = {
    "Application": APPLICATION,
    "Composition": COMPOSITION,
    "Definition": DEFINITION,
    "Policy": POLICY,
    "ProviderConfig": PROVIDER_CONFIG,
    "ServerConfig": SERVER_CONFIG,
}

# Fields holding secrets: never quoted in a message.
CORE_SENSITIVE: Mapping[str, frozenset[str]] = {
    "ProviderConfig": frozenset({"settings"}),
    "ServerConfig": frozenset({"db", "adminToken", "webhookSecret", "auditKey", "notifications"}),
    "Application": frozenset(),
    "Composition": frozenset(),
    "Definition": frozenset(),
    "Policy": frozenset(),
}
