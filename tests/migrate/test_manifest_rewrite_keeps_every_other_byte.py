"""``kedge migrate`` edits the one annotation that picks the Composition and keeps every other
byte of the claim's file, whatever the layout: block or flow style, an existing name or
selector, no annotations at all, several documents, Windows line ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from kedge.engine.migrate_claim import rewrite_annotation
from kedge.engine.platform import expander, load_platform
from kedge.manifests import load_path
from kedge.model import ConfigError
from kedge.providers import registry
from tests.migrate.conftest import PLATFORM

OTHER = "# first: another app's file\napiVersion: kedge.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec: {rules: []}\n---\n"

CASES = [
    (
        "named, with a comment after it",
        "kind: ObjectStore\nmetadata:\n  name: inv\n  annotations:\n    kedge.dev/composition: objectstore-aws  # cloud\n",
        "kind: ObjectStore\nmetadata:\n  name: inv\n  annotations:\n    kedge.dev/composition: objectstore-gcp  # cloud\n",
    ),
    (
        "named and quoted",
        "kind: ObjectStore\nmetadata:\n  name: inv\n  annotations:\n    \"kedge.dev/composition\": 'objectstore-aws'\n",
        "kind: ObjectStore\nmetadata:\n  name: inv\n  annotations:\n    \"kedge.dev/composition\": 'objectstore-gcp'\n",
    ),
    (
        "a selector becomes the name",
        "kind: ObjectStore\nmetadata:\n  name: inv\n  annotations:\n    team: a\n    kedge.dev/composition-selector: \"cloud=aws\"\n",
        "kind: ObjectStore\nmetadata:\n  name: inv\n  annotations:\n    team: a\n    kedge.dev/composition: objectstore-gcp\n",
    ),
    (
        "other annotations: one more line, indented like them",
        "kind: ObjectStore\nmetadata:\n    name: inv\n    annotations:\n        team: a   # owner\nspec: {}\n",
        "kind: ObjectStore\nmetadata:\n    name: inv\n    annotations:\n        kedge.dev/composition: objectstore-gcp\n        team: a   # owner\nspec: {}\n",
    ),
    (
        "no annotations",
        "kind: ObjectStore\nmetadata:\n  name: inv   # the name\nspec:\n  versioned: true\n",
        "kind: ObjectStore\nmetadata:\n  annotations:\n    kedge.dev/composition: objectstore-gcp\n  name: inv   # the name\nspec:\n  versioned: true\n",
    ),
    (
        "flow-style metadata",
        "kind: ObjectStore\nmetadata: {name: inv}\nspec: {}\n",
        "kind: ObjectStore\nmetadata: {annotations: {kedge.dev/composition: objectstore-gcp}, name: inv}\nspec: {}\n",
    ),
    (
        "flow-style annotations",
        "kind: ObjectStore\nmetadata:\n  name: inv\n  annotations: {team: a}\n",
        "kind: ObjectStore\nmetadata:\n  name: inv\n  annotations: {kedge.dev/composition: objectstore-gcp, team: a}\n",
    ),
    (
        "Windows line ends",
        "kind: ObjectStore\r\nmetadata:\r\n  name: inv\r\nspec: {}\r\n",
        "kind: ObjectStore\r\nmetadata:\r\n  annotations:\r\n    kedge.dev/composition: objectstore-gcp\r\n  name: inv\r\nspec: {}\r\n",
    ),
]


def claim_in(tmp_path: Path, text: str):
    (tmp_path / "claims.yaml").write_bytes(text.encode())
    loaded = load_path(tmp_path, registry.kind_spec, expand=expander(load_platform([PLATFORM])))
    [claim] = [c for c in loaded.claims if c.name == "inv"]
    return claim


@pytest.mark.parametrize(("reason", "before", "after"), CASES, ids=[c[0] for c in CASES])
def test_only_the_annotation_changes(tmp_path, reason, before, after):
    header = "apiVersion: platform.example.org/v1\n"
    newline = "\r\n" if "\r\n" in before else "\n"
    text = OTHER.replace("\n", newline) + header.replace("\n", newline) + before
    claim = claim_in(tmp_path, text)
    assert rewrite_annotation(text, claim, "objectstore-gcp") == (
        OTHER.replace("\n", newline) + header.replace("\n", newline) + after
    ), reason


def test_a_layout_it_cannot_edit_safely_is_left_alone_with_a_message(tmp_path):
    text = (
        "apiVersion: platform.example.org/v1\nkind: ObjectStore\nmetadata:\n  name: inv\n  annotations:\n"
        "    kedge.dev/composition: >-\n      objectstore-aws\n"
    )
    claim = claim_in(tmp_path, text)
    assert claim.annotations["kedge.dev/composition"] == "objectstore-aws"
    with pytest.raises(ConfigError, match="by hand"):
        rewrite_annotation(text, claim, "objectstore-gcp")
