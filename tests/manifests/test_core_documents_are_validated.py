"""Core kinds (kedge.dev/v1) load as CoreDocuments, checked against their strict schemas."""

from __future__ import annotations

import pytest

from kedge.manifests import CORE_SCHEMAS, CoreDocument, load_text
from kedge.model import Secret

from .conftest import dedent, errors, kinds


def test_every_core_kind_loads_with_its_secrets_resolved() -> None:
    text = dedent(
        """
        apiVersion: kedge.dev/v1
        kind: ServerConfig
        metadata: {name: server}
        spec:
          db: {fromEnv: KEDGE_DB}
          adminToken: {fromEnv: KEDGE_ADMIN}
          notifications:
            - {url: 'https://hooks.example.test/x', events: [sync, drift]}
        ---
        apiVersion: kedge.dev/v1
        kind: Application
        metadata: {name: shop, labels: {team: web}}
        spec:
          source:
            repoURL: https://git.example.test/shop.git
            targetRevision: main
            path: deploy
            pollInterval: 1m
            verify: {mode: head, keys: ['ssh-ed25519 AAAA']}
          syncPolicy: {automated: true, prune: true, driftInterval: 500ms}
        ---
        apiVersion: kedge.dev/v1
        kind: Policy
        metadata: {name: guard}
        spec:
          rules:
            - name: no-public-buckets
              kinds: [S3Bucket]
              deny: "change.action != 'delete' && !has(change.after.encryption)"
              message: buckets must be encrypted
        """
    )

    result = load_text(text, kinds, env={"KEDGE_DB": "postgresql://k@db/k", "KEDGE_ADMIN": "adm"})

    assert result.ok, result.diagnostics
    assert result.resources == []
    server, app, policy = result.core
    assert isinstance(server, CoreDocument)
    assert (server.kind, server.name, server.line) == ("ServerConfig", "server", 1)
    assert isinstance(server.spec["db"], Secret) and server.spec["db"].reveal() == "postgresql://k@db/k"
    assert (app.kind, app.labels, app.line) == ("Application", {"team": "web"}, 10)
    assert app.spec["source"]["verify"]["keys"] == ["ssh-ed25519 AAAA"]
    assert policy.spec["rules"][0]["kinds"] == ["S3Bucket"]


def test_top_level_defaults_are_filled_in() -> None:
    text = dedent(
        """
        apiVersion: kedge.dev/v1
        kind: Application
        metadata: {name: shop}
        spec:
          source: {repoURL: https://git.example.test/shop.git}
        ---
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {name: default}
        spec: {provider: local}
        """
    )

    result = load_text(text, kinds, env={})

    app, config = result.core
    assert app.spec["syncPolicy"] == {}
    assert config.spec == {"provider": "local", "settings": {}}


@pytest.mark.parametrize(
    ("reason", "kind", "spec", "path"),
    [
        ("verify is a flag or a mapping", "Application", "source: {repoURL: r, verify: 'yes'}", "spec.source.verify"),
        ("verify keys are strings", "Application", "source: {repoURL: r, verify: {keys: [1]}}",
         "spec.source.verify.keys[0]"),
        ("syncPolicy is strict", "Application", "source: {repoURL: r}\nsyncPolicy: {selfheal: true}",
         "spec.syncPolicy.selfheal"),
        ("a provider name is lower case", "ProviderConfig", "provider: Local", "spec.provider"),
        ("settings are a mapping", "ProviderConfig", "provider: local\nsettings: [root]", "spec.settings"),
        ("a Policy needs rules", "Policy", "{}", "spec.rules"),
        ("ServerConfig is strict", "ServerConfig", "database: x", "spec.database"),
    ],
)  # fmt: skip
def test_core_schemas_are_strict(reason: str, kind: str, spec: str, path: str) -> None:
    body = "\n".join("  " + line for line in spec.splitlines())
    text = f"apiVersion: kedge.dev/v1\nkind: {kind}\nmetadata: {{name: x}}\nspec:\n{body}\n"

    result = load_text(text, kinds, env={})

    assert [d.path for d in errors(result)] == [path], (reason, result.diagnostics)
    assert result.core == []


def test_core_schemas_forbid_unknown_fields_everywhere() -> None:
    def walk(schema: dict, where: str) -> None:
        if schema.get("type") == "object" and "properties" in schema:
            assert schema.get("additionalProperties") is False, where
            for name, sub in schema["properties"].items():
                walk(sub, f"{where}.{name}")
        for sub in schema.get("anyOf", []):
            walk(sub, where)
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], f"{where}[]")

    for kind, schema in CORE_SCHEMAS.items():
        walk(dict(schema), kind)
