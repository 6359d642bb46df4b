"""Each kind of bad input gives one error naming the file, the line and the field, and no traceback."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from .conftest import load, one_error


@dataclass(frozen=True)
class Case:
    reason: str
    text: str
    message: str  # a part of the message
    line: int
    path: str | None = None


FILE_HEAD = """\
apiVersion: local.kedge.dev/v1
kind: File
metadata:
  name: a
"""

CASES = [
    Case(
        "malformed YAML: an unclosed flow sequence",
        FILE_HEAD + "spec:\n  path: [a.txt\n  content: x\n",
        "invalid YAML",
        7,
    ),
    Case(
        "an alias is refused outright, wherever it is",
        FILE_HEAD + "spec:\n  path: &p a.txt\n  content: *p\n",
        "aliases are not allowed",
        7,
    ),
    Case("a document that is a list", "- apiVersion: x\n- kind: y\n", "must be a mapping", 1),
    Case("a document that is a scalar", "just a string\n", "must be a mapping", 1),
    Case(
        "metadata without a name",
        "apiVersion: local.kedge.dev/v1\nkind: File\nmetadata:\n  labels: {a: b}\nspec: {path: a}\n",
        "missing required field 'name'",
        3,
        "metadata.name",
    ),
    Case(
        "no metadata at all",
        "apiVersion: local.kedge.dev/v1\nkind: File\nspec: {path: a}\n",
        "missing required field 'metadata'",
        1,
        "metadata",
    ),
    Case(
        "a name that cannot be used in depends-on",
        "apiVersion: local.kedge.dev/v1\nkind: File\nmetadata:\n  name: a/b\nspec: {path: a}\n",
        "is not a valid name",
        4,
        "metadata.name",
    ),
    Case(
        "an apiVersion outside kedge.dev",
        "apiVersion: apps/v1\nkind: File\nmetadata: {name: a}\nspec: {path: a}\n",
        "unknown apiVersion 'apps/v1'",
        1,
        "apiVersion",
    ),
    Case(
        "a provider nobody serves",
        "apiVersion: nope.kedge.dev/v1\nkind: File\nmetadata: {name: a}\nspec: {path: a}\n",
        "unknown apiVersion/kind nope.kedge.dev/v1 File",
        2,
        "kind",
    ),
    Case(
        "a kind the provider does not serve",
        "apiVersion: local.kedge.dev/v1\nkind: Fiel\nmetadata: {name: a}\nspec: {path: a}\n",
        "unknown apiVersion/kind local.kedge.dev/v1 Fiel",
        2,
        "kind",
    ),
    Case(
        "an unknown core kind",
        "apiVersion: kedge.dev/v1\nkind: Provider\nmetadata: {name: a}\nspec: {}\n",
        "core kinds: Application, Composition, Definition, Policy, ProviderConfig, ServerConfig",
        2,
        "kind",
    ),
    Case(
        "an unknown top-level field",
        FILE_HEAD + "spec: {path: a}\nstatus: {}\n",
        "unknown field 'status' (allowed: apiVersion, kind, metadata, spec)",
        6,
        "status",
    ),
    Case(
        "an unknown spec field",
        FILE_HEAD + "spec:\n  path: a.txt\n  colour: red\n",
        "unknown field 'colour' (allowed: content, mode, path)",
        7,
        "spec.colour",
    ),
    Case(
        "a near miss gets a suggestion",
        FILE_HEAD + "spec:\n  path: a.txt\n  contnet: hi\n",
        "did you mean 'content'?",
        7,
        "spec.contnet",
    ),
    Case(
        "a number where a string goes",
        FILE_HEAD + "spec:\n  path: a.txt\n  mode: 644\n",
        "must be a string, not an integer; quote the value",
        7,
        "spec.mode",
    ),
    Case(
        "a string that does not match the pattern",
        FILE_HEAD + "spec:\n  path: a.txt\n  mode: '0999'\n",
        "must match the pattern",
        7,
        "spec.mode",
    ),
    Case(
        "a missing required spec field points at spec",
        FILE_HEAD + "spec:\n  content: hi\n",
        "missing required field 'path'",
        5,
        "spec.path",
    ),
    Case(
        "spec is not a mapping",
        FILE_HEAD + "spec: [a]\n",
        "must be a mapping",
        5,
        "spec",
    ),
    Case(
        "a value outside an enum",
        "apiVersion: test.kedge.dev/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  size: medium\n",
        "must be one of: small, large",
        5,
        "spec.size",
    ),
    Case(
        "a wrong type inside a list",
        "apiVersion: test.kedge.dev/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  items:\n    - a\n    - 3\n",
        "must be a string",
        7,
        "spec.items[1]",
    ),
    Case(
        "an unknown field in a nested object",
        "apiVersion: test.kedge.dev/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  nested:\n    inner: 1\n"
        "    outer: 2\n",
        "unknown field 'outer' (allowed: inner)",
        7,
        "spec.nested.outer",
    ),
    Case(
        "deletion-policy must be Delete or Orphan",
        FILE_HEAD + "  annotations:\n    kedge.dev/deletion-policy: Keep\nspec: {path: a}\n",
        "must be one of: Delete, Orphan",
        6,
        'metadata.annotations["kedge.dev/deletion-policy"]',
    ),
    Case(
        "management-policy must be Full, ObserveOnly or CreateOnly",
        FILE_HEAD + "  annotations:\n    kedge.dev/management-policy: ReadOnly\nspec: {path: a}\n",
        "must be one of: Full, ObserveOnly, CreateOnly",
        6,
        'metadata.annotations["kedge.dev/management-policy"]',
    ),
    Case(
        "depends-on must be Kind/name items",
        FILE_HEAD + "  annotations:\n    kedge.dev/depends-on: 'File/b, thing'\nspec: {path: a}\n",
        "cannot read 'thing'",
        6,
        'metadata.annotations["kedge.dev/depends-on"]',
    ),
    Case(
        "prevent-destroy must be a quoted flag",
        FILE_HEAD + "  annotations:\n    kedge.dev/prevent-destroy: true\nspec: {path: a}\n",
        'quote it: "true"',
        6,
        'metadata.annotations["kedge.dev/prevent-destroy"]',
    ),
    Case(
        "a label value must be a string",
        FILE_HEAD + "  labels:\n    tier: 3\nspec: {path: a}\n",
        "values must be strings",
        6,
        "metadata.labels.tier",
    ),
    Case(
        "an unset fromEnv variable",
        FILE_HEAD + "spec:\n  path: a.txt\n  content: {fromEnv: KEDGE_TEST_UNSET}\n",
        "environment variable KEDGE_TEST_UNSET is not set",
        7,
        "spec.content.fromEnv",
    ),
    Case(
        "a missing fromFile file",
        FILE_HEAD + "spec:\n  path: a.txt\n  content: {fromFile: no-such-secret.txt}\n",
        "file 'no-such-secret.txt' not found",
        7,
        "spec.content.fromFile",
    ),
    Case(
        "an encrypted value without a decrypter",
        FILE_HEAD + "spec:\n  path: a.txt\n  content: {encrypted: AGE-DATA}\n",
        "KEDGE_AGE_IDENTITY_FILE",
        7,
        "spec.content.encrypted",
    ),
    Case(
        "a fromResource without its field",
        FILE_HEAD + "spec:\n  path: a.txt\n  content:\n    fromResource: {kind: File, name: b}\n",
        "missing required field 'field'",
        8,
        "spec.content.fromResource.field",
    ),
    Case(
        "a duplicate key in a mapping",
        FILE_HEAD + "spec:\n  path: a.txt\n  path: b.txt\n",
        "duplicate key 'path'",
        7,
    ),
    Case(
        "a tag beyond plain JSON values",
        FILE_HEAD + "spec:\n  path: a.txt\n  content: !!binary aGVsbG8=\n",
        "unsupported YAML tag",
        7,
    ),
    Case(
        "a reference to a resource the app does not define",
        "apiVersion: test.kedge.dev/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n"
        "  ref: {fromResource: {kind: File, name: ghost, field: sha256}}\n",
        "refers to File/ghost, which this app does not define",
        1,
        "spec.ref",
    ),
    Case(
        "depends-on naming a resource the app does not define",
        FILE_HEAD + "  annotations:\n    kedge.dev/depends-on: Thing/ghost\nspec: {path: a}\n",
        "depends on Thing/ghost, which this app does not define",
        1,
        'metadata.annotations["kedge.dev/depends-on"]',
    ),
    Case(
        "a ProviderConfig without its provider",
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\nspec:\n  settings: {}\n",
        "missing required field 'provider'",
        4,
        "spec.provider",
    ),
    Case(
        "an Application interval that is not a duration",
        "apiVersion: kedge.dev/v1\nkind: Application\nmetadata: {name: shop}\nspec:\n  source:\n"
        "    repoURL: https://example.test/shop.git\n    pollInterval: 5 minutes\n",
        "must match the pattern ^[0-9]+(ms|s|m|h)$",
        7,
        "spec.source.pollInterval",
    ),
    Case(
        "a Policy rule with neither deny nor warn",
        "apiVersion: kedge.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r1\n",
        "needs one of the fields: deny, warn",
        6,
        "spec.rules[0]",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.reason for c in CASES])
def test_bad_input_gives_one_located_error(case: Case) -> None:
    result = load(case.text)
    assert not result.ok
    error = one_error(result)
    assert case.message in error.message, str(error)
    assert error.file == "app.yaml"
    assert error.line == case.line, str(error)
    assert error.path == case.path, str(error)
