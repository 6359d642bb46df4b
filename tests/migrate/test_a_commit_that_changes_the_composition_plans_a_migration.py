"""The GitOps path: a reviewed change of the claim's annotation is enough. ``kedge plan`` shows
one ``migrate`` step with what it will copy, ``kedge apply --confirm-prune`` performs it, and
the move works between every pair of clouds."""

from __future__ import annotations

import json

import pytest

from tests.migrate.conftest import OBJECTS

pytestmark = [pytest.mark.aws, pytest.mark.azure, pytest.mark.gcp]

SIZE = sum(map(len, OBJECTS.values()))


def put(app, cloud: str) -> None:
    if cloud == "aws":
        app.s3_put(OBJECTS)
    elif cloud == "gcp":
        bucket = app.gcs.sdk().bucket(app.store)
        for key, data in OBJECTS.items():
            bucket.blob(key).upload_from_string(data)
    else:
        container = app.azure.blob().get_container_client(app.store)
        for key, data in OBJECTS.items():
            container.upload_blob(key, data)


def content(app, cloud: str) -> dict[str, bytes] | None:
    if cloud == "aws":
        return app.s3_objects() if app.s3_exists() else None
    if cloud == "gcp":
        return {k: v for k, (v, _) in app.gcs_objects().items()} if app.gcs_exists() else None
    return {k: v for k, (v, _) in app.azure_objects().items()} if app.azure_exists() else None


def test_plan_shows_one_migrate_step_with_objects_and_bytes(kedge, migration_app):
    app = migration_app("objectstore-aws")
    assert kedge("apply", *app.args("--auto-approve")).exit_code == 0
    app.s3_put(OBJECTS)
    app.claims.write_text(app.claims.read_text().replace("objectstore-aws", "objectstore-gcp"))

    text = kedge("plan", *app.args("--confirm-prune"))
    assert text.exit_code == 0, text
    assert f">> ObjectStore/{app.claim} (migrate: to Composition objectstore-gcp: copy 3 object(s)" in text.stdout
    assert f"copy S3Bucket/{app.store} -> GCSBucket/{app.store}: 3 object(s), {SIZE} bytes" in text.stdout
    assert "1 to migrate." in text.stdout

    plan = json.loads(kedge("plan", *app.args("--confirm-prune", "-o", "json")).stdout)
    migrations = [c for c in plan["changes"] if c["action"] == "migrate"]
    assert len(migrations) == 1
    assert migrations[0]["objects"] == 3 and migrations[0]["bytes"] == SIZE
    assert migrations[0]["claim"] == {"kind": "ObjectStore", "name": app.claim}
    actions = {(c["action"], c["kind"]) for c in plan["changes"]}
    assert ("create", "GCSBucket") in actions and ("delete", "S3Bucket") in actions
    assert plan["summary"]["migrate"] == 1

    unconfirmed = kedge("plan", *app.args("-o", "json"))
    assert unconfirmed.exit_code == 1
    assert any("--confirm-prune" in d["message"] for d in json.loads(unconfirmed.stdout)["diagnostics"])

    done = kedge("apply", *app.args("--confirm-prune", "--auto-approve"))
    assert done.exit_code == 0, done
    assert content(app, "gcp") == OBJECTS and content(app, "aws") is None
    assert kedge("plan", *app.args("--detailed-exitcode")).exit_code == 0


CLOUD = {"aws": "objectstore-aws", "azure": "objectstore-azure", "gcp": "objectstore-gcp"}


@pytest.mark.parametrize(("source", "target"), [("gcp", "azure"), ("azure", "aws"), ("gcp", "aws"), ("azure", "gcp")])
def test_every_pair_of_clouds(kedge, migration_app, source, target):
    app = migration_app(CLOUD[source])
    assert kedge("apply", *app.args("--auto-approve")).exit_code == 0
    put(app, source)
    done = kedge(
        "migrate", *app.args("--claim", f"ObjectStore/{app.claim}", "--to", CLOUD[target], "--auto-approve", "--confirm-prune")
    )
    assert done.exit_code == 0, done
    assert content(app, target) == OBJECTS
    assert content(app, source) is None
    assert kedge("plan", *app.args("--detailed-exitcode")).exit_code == 0


def test_what_reads_the_claim_switches_after_the_copy_and_before_the_old_bucket_goes(kedge, migration_app, tmp_path):
    app = migration_app("objectstore-aws")
    files = tmp_path / "files"
    files.mkdir()
    (app.path / "settings.yaml").write_text(
        f"""\
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {{name: files}}
spec: {{provider: local, settings: {{root: "{files}"}}}}
---
apiVersion: local.kedge.dev/v1
kind: File
metadata:
  name: store-url
  annotations: {{kedge.dev/provider-config: files}}
spec:
  path: store-url.txt
  content: {{fromResource: {{kind: ObjectStore, name: {app.claim}, field: url}}}}
"""
    )
    assert kedge("apply", *app.args("--auto-approve")).exit_code == 0
    assert (files / "store-url.txt").read_text() == f"s3://{app.store}"
    app.s3_put(OBJECTS)

    app.claims.write_text(app.claims.read_text().replace("objectstore-aws", "objectstore-gcp"))
    done = kedge("apply", *app.args("--confirm-prune", "--auto-approve"))
    assert done.exit_code == 0, done
    order = [line.split(":")[0] for line in done.stdout.splitlines() if "… done" in line]
    assert order.index(f"ObjectStore/{app.claim}") < order.index("File/store-url") < order.index(f"S3Bucket/{app.store}")
    assert order.index(f"GCSBucket/{app.store}") < order.index(f"ObjectStore/{app.claim}")
    assert (files / "store-url.txt").read_text() == f"gs://{app.store}"


def test_a_saved_plan_applies_the_migration_it_shows(kedge, migration_app, tmp_path):
    app = migration_app("objectstore-aws")
    assert kedge("apply", *app.args("--auto-approve")).exit_code == 0
    app.s3_put(OBJECTS)
    app.claims.write_text(app.claims.read_text().replace("objectstore-aws", "objectstore-azure"))
    saved = tmp_path / "migrate.plan"
    planned = kedge("plan", *app.args("--confirm-prune", "-out", str(saved)))
    assert planned.exit_code == 0, planned

    app.s3_put({"late.txt": b"written after the plan"})
    moved = kedge("apply", str(saved), "--platform", str(app.args()[2]))
    assert moved.exit_code == 1 and content(app, "azure") is None, moved  # the store changed since the plan
    assert "the saved plan is stale" in moved.stderr

    planned = kedge("plan", *app.args("--confirm-prune", "-out", str(saved)))
    done = kedge("apply", str(saved), "--platform", str(app.args()[2]))
    assert done.exit_code == 0, done
    assert content(app, "azure") == {**OBJECTS, "late.txt": b"written after the plan"}
    assert content(app, "aws") is None
