"""Bad names and settings are refused with a message naming the file or setting and what to
do, before anything is sent to the storage account."""

from __future__ import annotations

import json

import pytest

from kedge.model import ConfigError
from kedge.providers.azure import provider
from kedge.providers.base import ConnectContext
from tests.conftest import write

pytestmark = pytest.mark.azure


def provider_config(app, settings: str) -> None:
    write(
        app / "provider.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec:
          provider: azure
          settings: {settings}
        """,
    )


@pytest.mark.parametrize(
    ("kind", "name", "says"),
    [
        ("StorageContainer", "Invoices", "lowercase"),
        ("StorageContainer", "two--hyphens", "single hyphens"),
        ("StorageQueue", "q", "3 to 63"),
        ("StorageTable", "1orders", "begin with a letter"),
        ("StorageTable", "tables", "reserved"),
    ],
)
def test_bad_names_are_refused_in_the_plan(kedge, tmp_path, refusing_url, kind, name, says):
    # the account answers every request with an error: a refusal naming the rule proves no call was needed
    app = tmp_path / "app"
    provider_config(app, f'{{accountURL: "{refusing_url}/acct", retries: 0}}')
    write(
        app / "storage.yaml",
        f"""
        apiVersion: azure.kedge.dev/v1
        kind: {kind}
        metadata: {{name: "{name}"}}
        """,
    )
    result = kedge("plan", app)
    assert result.exit_code == 1, result
    assert says in result.output and name in result.output
    assert "storage.yaml" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({}, "give exactly one of connectionString and accountURL"),
        ({"connectionString": "a=b", "accountURL": "https://x.blob.core.windows.net"}, "exactly one"),
        ({"connectionString": "UseDevelopmentStorage=true", "credential": "k"}, "only with accountURL"),
        ({"accountURL": "ftp://x"}, "http:// or https://"),
        ({"accountURL": "https://x.blob.core.windows.net", "sas": "x"}, "unknown setting"),
    ],
)
def test_bad_settings_name_the_setting(settings, says):
    with pytest.raises(ConfigError) as raised:
        provider.connect(settings, ConnectContext("shop"))
    assert says in str(raised.value)


def test_account_url_and_key_reach_the_blob_service(azure):
    from kedge.model import ResourceKey
    from kedge.providers.base import Target
    from tests.fixtures.azure import KEY

    client = provider.connect(
        {"accountURL": azure.server.url("blob"), "credential": KEY}, ConnectContext("shop")
    )
    name = azure.name("u")
    target = Target(
        ResourceKey("azure.kedge.dev/v1", "StorageContainer", name),
        name,
        {"publicAccess": "none", "metadata": {}},
    )
    client.create(target)
    assert client.observe_many("StorageContainer", [target])[target.key].owner == "shop"
    client.close()


def test_queue_endpoint_of_a_custom_account_url_is_asked_for(azure):
    client = provider.connect({"accountURL": azure.server.url("blob")}, ConnectContext("shop"))
    from kedge.model import ResourceKey
    from kedge.providers.base import Target

    target = Target(ResourceKey("azure.kedge.dev/v1", "StorageQueue", "orders"), "orders", {"metadata": {}})
    with pytest.raises(ConfigError) as raised:
        client.observe_many("StorageQueue", [target])
    assert "use connectionString" in str(raised.value)


def test_explain_shows_the_schema_and_outputs(kedge):
    result = kedge("explain", "StorageContainer", "-o", "json")
    assert result.exit_code == 0, result
    shown = json.loads(result.stdout)
    assert shown["apiVersion"] == "azure.kedge.dev/v1"
    assert shown["schema"]["additionalProperties"] is False
    assert set(shown["schema"]["properties"]) == {"publicAccess", "metadata"}
    assert set(shown["outputs"]) == {"name", "url"}


def test_a_sas_token_is_used_as_a_sas_not_as_a_key(azure):
    from datetime import UTC, datetime, timedelta

    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    from kedge.model import ResourceKey
    from kedge.providers.base import Target
    from tests.fixtures.azure import ACCOUNT, KEY

    sas = generate_account_sas(
        ACCOUNT,
        KEY,
        ResourceTypes(service=True, container=True, object=True),
        AccountSasPermissions(read=True, write=True, list=True, create=True, delete=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    client = provider.connect(
        {"accountURL": azure.server.url("blob"), "credential": "?" + sas}, ConnectContext("shop")
    )
    name = azure.name("sas")
    target = Target(
        ResourceKey("azure.kedge.dev/v1", "StorageContainer", name),
        name,
        {"publicAccess": "none", "metadata": {}},
    )
    client.create(target)
    assert client.observe_many("StorageContainer", [target])[target.key].exists
    client.close()
