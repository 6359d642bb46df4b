"""Bad bucket names, lifecycle rules and settings are refused with a message saying what to
do, before anything is sent to Cloud Storage."""

from __future__ import annotations

import json

import pytest

from kedge.model import ConfigError
from kedge.providers.base import ConnectContext
from kedge.providers.gcp import provider
from tests.conftest import write

pytestmark = pytest.mark.gcp


def app_with(tmp_path, endpoint: str, body: str):
    app = tmp_path / "app"
    write(
        app / "provider.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec:
          provider: gcp
          settings: {{project: kedge-test, endpointURL: "{endpoint}"}}
        """,
    )
    write(app / "bucket.yaml", body)
    return app


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Invoices", "lowercase"),
        ("my-google-bucket", "google"),
        ("192.168.1.1", "IP address"),
        ("ab", "3 to 63"),
    ],
)
def test_bad_names_are_refused_in_the_plan(kedge, tmp_path, refusing_url, name, says):
    # every request to this endpoint fails: a refusal naming the rule proves no call was needed
    app = app_with(
        tmp_path,
        refusing_url,
        f'apiVersion: gcp.kedge.dev/v1\nkind: GCSBucket\nmetadata: {{name: "{name}"}}\n',
    )
    result = kedge("plan", app)
    assert result.exit_code == 1, result
    assert says in result.output and "bucket.yaml" in result.output
    assert "Traceback" not in result.output


def test_storage_class_goes_only_with_set_storage_class(kedge, tmp_path, gcs):
    app = app_with(
        tmp_path,
        gcs.url,
        """
        apiVersion: gcp.kedge.dev/v1
        kind: GCSBucket
        metadata: {name: shop-rules}
        spec:
          lifecycle:
            - action: {type: SetStorageClass}
              condition: {age: 30}
        """,
    )
    result = kedge("plan", app)
    assert result.exit_code == 1, result
    assert "spec.lifecycle[0].action" in result.output and "bucket.yaml" in result.output
    assert kedge("apply", app, "--auto-approve").exit_code == 1
    assert gcs.sdk().lookup_bucket("shop-rules") is None


def test_unknown_fields_and_reserved_labels_are_schema_errors(kedge, tmp_path, refusing_url):
    app = app_with(
        tmp_path,
        refusing_url,
        """
        apiVersion: gcp.kedge.dev/v1
        kind: GCSBucket
        metadata: {name: shop-strict}
        spec:
          region: us
          labels: {kedge-app: someone}
        """,
    )
    result = kedge("validate", app, "-o", "json")
    assert result.exit_code == 1, result
    messages = " ".join(d["message"] for d in json.loads(result.stdout)["diagnostics"])
    assert "region" in messages and "kedge-app" in messages


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({}, "project: required"),
        ({"project": "Kedge"}, "project: required"),
        ({"project": "kedge-test", "endpointURL": "localhost:9000"}, "http:// or https://"),
        ({"project": "kedge-test", "region": "eu"}, "unknown setting"),
    ],
)
def test_bad_settings_name_the_setting(settings, says):
    with pytest.raises(ConfigError) as raised:
        provider.connect(settings, ConnectContext("shop"))
    assert says in str(raised.value)


def test_a_missing_credentials_file_is_named(gcs, tmp_path):
    from kedge.model import ResourceKey
    from kedge.providers.base import Target

    client = provider.connect(
        {"project": "kedge-test", "credentialsFile": str(tmp_path / "nope.json")}, ConnectContext("shop")
    )
    target = Target(ResourceKey("gcp.kedge.dev/v1", "GCSBucket", "shop-x"), "shop-x", {})
    with pytest.raises(ConfigError) as raised:
        client.observe_many("GCSBucket", [target])
    assert "credentialsFile" in str(raised.value) and "nope.json" in str(raised.value)


def test_explain_shows_the_schema_and_outputs(kedge):
    result = kedge("explain", "GCSBucket", "-o", "json")
    assert result.exit_code == 0, result
    shown = json.loads(result.stdout)
    assert set(shown["schema"]["properties"]) == {
        "location",
        "storageClass",
        "versioning",
        "labels",
        "lifecycle",
    }
    assert shown["replaceOn"] == ["location"]
    assert set(shown["outputs"]) == {"name", "url", "location"}
