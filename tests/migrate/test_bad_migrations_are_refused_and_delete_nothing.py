"""Every way a migration can be wrong ends with a message that says where and what to do,
exit 1, the manifest as it was (unless the copy had begun), and nothing deleted."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest

from tests.migrate.conftest import OBJECTS, PLATFORM

pytestmark = [pytest.mark.aws, pytest.mark.azure, pytest.mark.gcp]


@pytest.fixture
def on_s3(kedge, migration_app):
    app = migration_app("objectstore-aws")
    assert kedge("apply", *app.args("--auto-approve")).exit_code == 0
    app.s3_put(OBJECTS)
    return app


def migrate(kedge, app, *extra, to="objectstore-gcp", claim=None):
    return kedge(
        "migrate",
        *app.args("--claim", claim or f"ObjectStore/{app.claim}", "--to", to, "--auto-approve", *extra),
    )


def untouched(app, before: bytes) -> None:
    assert app.claims.read_bytes() == before
    assert app.s3_objects() == OBJECTS


def test_unknown_claim(kedge, on_s3):
    before = on_s3.claims.read_bytes()
    result = migrate(kedge, on_s3, claim="ObjectStore/nope")
    assert result.exit_code == 1
    assert "no such claim" in result.stderr and f"ObjectStore/{on_s3.claim}" in result.stderr
    untouched(on_s3, before)


def test_a_claim_not_written_as_kind_and_name(kedge, on_s3):
    result = migrate(kedge, on_s3, claim="invoices")
    assert result.exit_code == 1 and "KIND/NAME" in result.stderr


def test_unknown_composition(kedge, on_s3):
    before = on_s3.claims.read_bytes()
    result = migrate(kedge, on_s3, to="objectstore-mars")
    assert result.exit_code == 1
    assert "no Composition 'objectstore-mars'" in result.stderr and "objectstore-gcp" in result.stderr
    untouched(on_s3, before)


def test_composition_of_another_definition(kedge, on_s3, tmp_path):
    other = tmp_path / "queues"
    other.mkdir()
    (other / "queue.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: kedge.dev/v1
            kind: Definition
            metadata: {name: Queue}
            spec:
              group: platform.example.org
              schema: {type: object}
            ---
            apiVersion: kedge.dev/v1
            kind: Composition
            metadata: {name: queue-azure}
            spec:
              definition: Queue
              resources:
                - id: queue
                  template:
                    apiVersion: azure.kedge.dev/v1
                    kind: StorageQueue
                    metadata: {name: "${claim.metadata.name}"}
            """
        )
    )
    before = on_s3.claims.read_bytes()
    result = migrate(kedge, on_s3, "--platform", str(other), to="queue-azure")
    assert result.exit_code == 1
    assert "composes Queue, not ObjectStore" in result.stderr
    untouched(on_s3, before)


def test_definition_without_migration(kedge, migration_app, tmp_path):
    platform = tmp_path / "platform"
    shutil.copytree(PLATFORM, platform)
    definition = platform / "definition.yaml"
    definition.write_text(definition.read_text().replace("  migration: copyObjects\n", ""))
    app = migration_app("objectstore-aws")
    args = [str(app.path), "--platform", str(platform)]
    assert kedge("apply", *args, "--auto-approve").exit_code == 0
    before = app.claims.read_bytes()
    result = kedge("migrate", *args, "--claim", f"ObjectStore/{app.claim}", "--to", "objectstore-gcp", "--auto-approve")
    assert result.exit_code == 1
    assert "definition.yaml" in result.stderr and "migration: copyObjects" in result.stderr
    assert app.claims.read_bytes() == before and app.s3_exists()


def test_same_composition_as_now(kedge, on_s3):
    before = on_s3.claims.read_bytes()
    result = migrate(kedge, on_s3, to="objectstore-aws")
    assert result.exit_code == 1
    assert "claims.yaml:2" in result.stderr and "already uses Composition objectstore-aws" in result.stderr
    untouched(on_s3, before)


def test_target_owned_by_another_app(kedge, on_s3, tmp_path, gcs):
    other = tmp_path / "other"
    other.mkdir()
    (other / "bucket.yaml").write_text(
        textwrap.dedent(
            f"""\
            apiVersion: kedge.dev/v1
            kind: ProviderConfig
            metadata: {{name: default}}
            spec:
              provider: gcp
              settings: {{project: {gcs.project}, endpointURL: "{gcs.url}"}}
            ---
            apiVersion: gcp.kedge.dev/v1
            kind: GCSBucket
            metadata: {{name: {on_s3.store}}}
            spec: {{labels: {{team: other}}}}
            """
        )
    )
    assert kedge("apply", str(other), "--auto-approve").exit_code == 0
    before = on_s3.claims.read_bytes()
    result = migrate(kedge, on_s3, "--confirm-prune")
    assert result.exit_code == 1
    assert f"GCSBucket/{on_s3.store}" in result.stderr and "owned by app 'other'" in result.stderr
    untouched(on_s3, before)
    assert on_s3.gcs_objects() == {}  # the other app's bucket: nothing copied into it
    assert kedge("plan", str(other), "--detailed-exitcode").exit_code == 0


def test_a_copy_that_fails_half_way_deletes_nothing_and_the_same_command_resumes(
    kedge, migration_app, fault_proxy
):
    app = migration_app("objectstore-aws")
    providers = app.path / "providers.yaml"
    providers.write_text(providers.read_text().replace(app.aws.endpoint, fault_proxy.url))
    assert kedge("apply", *app.args("--auto-approve")).exit_code == 0
    app.s3_put(OBJECTS)
    fault_proxy.add(rf"^s3:.* GET /{app.store}/reports/", code="AccessDenied", status=403)

    result = migrate(kedge, app, "--confirm-prune")
    assert result.exit_code == 1, result
    assert "reports/2026/q1.csv" in result.stderr and "nothing was deleted" in result.stderr
    assert "run the same command again" in result.stderr
    assert app.s3_objects() == OBJECTS  # the old bucket keeps everything
    assert set(app.gcs_objects()) == set(OBJECTS) - {"reports/2026/q1.csv"}
    assert "objectstore-gcp" in app.claims.read_text()  # the move has begun: the manifest says where

    fault_proxy.clear()
    again = migrate(kedge, app, "--confirm-prune", "-o", "json")
    assert again.exit_code == 0, again
    report = json.loads(again.stdout)
    assert report["migration"]["copied"] == 1 and report["migration"]["skipped"] == len(OBJECTS) - 1
    assert {k: data for k, (data, _) in app.gcs_objects().items()} == OBJECTS
    assert not app.s3_exists()


def test_a_source_that_cannot_be_listed_is_an_error_of_the_plan_not_zero_objects(
    kedge, migration_app, fault_proxy
):
    app = migration_app("objectstore-aws")
    providers = app.path / "providers.yaml"
    providers.write_text(providers.read_text().replace(app.aws.endpoint, fault_proxy.url))
    assert kedge("apply", *app.args("--auto-approve")).exit_code == 0
    app.s3_put(OBJECTS)
    fault_proxy.add(rf"^s3:.* GET /{app.store}\?list-type=2", code="AccessDenied", status=403)

    app.claims.write_text(app.claims.read_text().replace("objectstore-aws", "objectstore-gcp"))
    plan = kedge("plan", *app.args("--confirm-prune", "-o", "json"))
    assert plan.exit_code == 1, plan
    data = json.loads(plan.stdout)
    [step] = [c for c in data["changes"] if c["action"] == "migrate"]
    assert step["objects"] is None and step["bytes"] is None
    [problem] = [d for d in data["diagnostics"] if "cannot list" in d["message"]]
    assert problem["severity"] == "error" and problem["file"] == "claims.yaml"
    assert not app.gcs_exists() and app.s3_objects() == OBJECTS

    text = kedge("apply", *app.args("--confirm-prune", "--auto-approve"))
    assert text.exit_code == 1 and "cannot list s3://" in text.stderr
    assert not app.gcs_exists() and app.s3_objects() == OBJECTS
