"""A long copy says how far it is; ``kedge migrate`` asks before it changes anything, and a
"no" leaves the manifest and the clouds as they were."""

from __future__ import annotations

import logging

import pytest

from kedge.engine.migrate_apply import Counted
from kedge.providers.objects import Digest, ObjectInfo
from tests.migrate.conftest import OBJECTS


class Memory:
    url = "mem://target"
    part_size = 1024

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def list(self):
        return iter([ObjectInfo(k, len(v)) for k, v in self.objects.items()])

    def head(self, key):
        return ObjectInfo(key, len(self.objects[key])) if key in self.objects else None

    def read(self, key, chunk_size):
        yield self.objects[key]

    def write(self, key, chunks, size, digest):
        self.objects[key] = b"".join(chunks)

    def delete(self, key):
        self.objects.pop(key, None)

    def verify_with(self):
        return "md5"


def test_a_progress_line_every_few_seconds_of_copying(caplog):
    now = [0.0]
    store = Counted(Memory(), "ObjectStore/inv: s3://a -> gs://b", 10, 100, lambda: now[0])
    caplog.set_level(logging.INFO, logger="kedge.progress")
    for i in range(10):
        now[0] += 2.0  # each object takes two seconds
        store.write(f"k{i}", [b"x" * 10], 10, Digest())
    store.say(final=True)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "ObjectStore/inv: s3://a -> gs://b: copying 3 of 10 object(s), 30 of 100 bytes"
    assert len(lines) == 4  # at 6 s, 12 s, 18 s, and the last one
    assert lines[-1] == "ObjectStore/inv: s3://a -> gs://b: copied 10 of 10 object(s), 100 of 100 bytes"


@pytest.mark.aws
@pytest.mark.azure
@pytest.mark.gcp
def test_no_at_the_prompt_changes_nothing(kedge, migration_app):
    app = migration_app("objectstore-aws")
    assert kedge("apply", *app.args("--auto-approve")).exit_code == 0
    app.s3_put(OBJECTS)
    before = app.claims.read_bytes()
    args = app.args("--claim", f"ObjectStore/{app.claim}", "--to", "objectstore-gcp", "--confirm-prune")

    answer = kedge("migrate", *args, input="no\n")
    assert answer.exit_code == 1
    assert "Migration cancelled: nothing was changed." in answer.stderr
    assert f"moving ObjectStore/{app.claim} from Composition objectstore-aws to objectstore-gcp" in answer.stdout
    assert app.claims.read_bytes() == before and not app.gcs_exists() and app.s3_objects() == OBJECTS

    done = kedge("migrate", *args, input="yes\n")
    assert done.exit_code == 0, done
    assert f"copied {len(OBJECTS)} of {len(OBJECTS)} object(s)" in done.stderr  # the copy's last progress line
    assert not app.s3_exists()


@pytest.mark.aws
@pytest.mark.azure
@pytest.mark.gcp
def test_a_claim_never_applied_just_moves(kedge, migration_app):
    app = migration_app("objectstore-aws")
    args = app.args("--claim", f"ObjectStore/{app.claim}", "--to", "objectstore-azure", "--auto-approve")
    done = kedge("migrate", *args)
    assert done.exit_code == 0, done
    assert "it had no storage from before, so nothing was copied" in done.stdout
    assert app.azure_exists() and not app.s3_exists()
    assert "kedge.dev/composition: objectstore-azure" in app.claims.read_text()
