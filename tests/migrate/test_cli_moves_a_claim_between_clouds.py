"""``kedge migrate`` moves a claim's storage from S3 to Cloud Storage and to Azure: every object
arrives with its bytes and a checksum the target computed, the manifest names the new
Composition (every other byte kept), and the old bucket goes only with --confirm-prune."""

from __future__ import annotations

import pytest

from tests.migrate.conftest import OBJECTS, crc32c_b64, md5

pytestmark = [pytest.mark.aws, pytest.mark.azure, pytest.mark.gcp]


def deployed_on_s3(kedge, migration_app):
    app = migration_app("objectstore-aws")
    done = kedge("apply", *app.args("--auto-approve"))
    assert done.exit_code == 0, done
    app.s3_put(OBJECTS)
    return app


def test_s3_to_gcs_copies_every_object_then_deletes_the_bucket_only_when_confirmed(kedge, migration_app):
    app = deployed_on_s3(kedge, migration_app)
    before = app.claims.read_bytes()

    plan = kedge("migrate", *app.args("--claim", f"ObjectStore/{app.claim}", "--to", "objectstore-gcp", "--auto-approve"))
    assert plan.exit_code == 1, plan
    assert "--confirm-prune" in plan.stderr and f"S3Bucket/{app.store}" in plan.stderr
    assert app.claims.read_bytes() == before  # refused: the manifest is as it was
    assert app.s3_objects() == OBJECTS and not app.gcs_exists()

    done = kedge(
        "migrate",
        *app.args("--claim", f"ObjectStore/{app.claim}", "--to", "objectstore-gcp", "--auto-approve", "--confirm-prune"),
    )
    assert done.exit_code == 0, done
    assert f"Migrated ObjectStore/{app.claim} to objectstore-gcp" in done.stdout
    copied = app.gcs_objects()
    assert {k: data for k, (data, _) in copied.items()} == OBJECTS
    assert all(crc == crc32c_b64(OBJECTS[k]) for k, (_, crc) in copied.items())
    assert not app.s3_exists()
    # one line changed, comments and order kept
    assert app.claims.read_bytes() == before.replace(
        b"kedge.dev/composition: objectstore-aws   # which cloud", b"kedge.dev/composition: objectstore-gcp   # which cloud"
    )
    again = kedge("plan", *app.args("--detailed-exitcode"))
    assert again.exit_code == 0, again


def test_s3_to_azure_copies_every_object_with_its_md5(kedge, migration_app):
    app = deployed_on_s3(kedge, migration_app)
    done = kedge(
        "migrate",
        *app.args("--claim", f"ObjectStore/{app.claim}", "--to", "objectstore-azure", "--auto-approve", "--confirm-prune"),
    )
    assert done.exit_code == 0, done
    copied = app.azure_objects()
    assert {k: data for k, (data, _) in copied.items()} == OBJECTS
    assert all(bytes(stored) == md5(OBJECTS[k]) for k, (_, stored) in copied.items())
    assert not app.s3_exists()
    assert kedge("plan", *app.args("--detailed-exitcode")).exit_code == 0


def test_json_output_reports_the_plan_counts_and_the_verification(kedge, migration_app):
    import json

    app = deployed_on_s3(kedge, migration_app)
    done = kedge(
        "migrate",
        *app.args(
            "--claim", f"ObjectStore/{app.claim}", "--to", "objectstore-gcp", "--auto-approve", "--confirm-prune",
            "-o", "json",
        ),
    )
    assert done.exit_code == 0, done
    report = json.loads(done.stdout)
    [step] = [c for c in report["plan"]["changes"] if c["action"] == "migrate"]
    assert step["kind"] == "ObjectStore" and step["name"] == app.claim
    assert step["objects"] == len(OBJECTS) and step["bytes"] == sum(map(len, OBJECTS.values()))
    assert report["ok"] and report["from"] == "objectstore-aws" and report["to"] == "objectstore-gcp"
    assert report["migration"]["copied"] == len(OBJECTS)
    assert report["migration"]["verification"] == ["size+crc32c"]
