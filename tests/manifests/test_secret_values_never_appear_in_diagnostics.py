"""A secret that fails validation is reported without its value, wherever it went wrong."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from kedge.manifests import load_path, load_text

from .conftest import dedent, errors, kinds

SECRET = "hunter2-pw"  # shorter than the minimum length of Thing.password


def thing(spec: str) -> str:
    return "apiVersion: test.kedge.dev/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n" + textwrap.indent(
        dedent(spec), "  "
    )


def every_text(result) -> str:
    parts = []
    for d in result.diagnostics:
        parts += [str(d), repr(d), json.dumps(d.to_json())]
    parts += [repr(r) for r in result.resources]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("reason", "spec", "path"),
    [
        ("a sensitive field too short", "password: {fromEnv: S}\n", "spec.password"),
        ("a secret where a number goes", "count: {fromEnv: S}\n", "spec.count"),
        ("a secret outside an enum", "size: {fromEnv: S}\n", "spec.size"),
        ("a secret in a nested field", "nested: {inner: {fromEnv: S}}\n", "spec.nested.inner"),
        ("a secret in a list of strings", "items: [{fromEnv: S}, 3]\n", "spec.items[1]"),
        ("a secret where a mapping goes", "tags: {fromEnv: S}\n", "spec.tags"),
    ],
)
def test_validation_errors_do_not_quote_secrets(reason: str, spec: str, path: str) -> None:
    result = load_text(thing(spec), kinds, env={"S": SECRET})

    assert not result.ok, reason
    assert path in {d.path for d in errors(result)}
    assert SECRET not in every_text(result)


def test_a_sensitive_field_with_a_literal_is_not_quoted_either() -> None:
    result = load_text(thing("password: short-pw\n"), kinds, env={})

    assert not result.ok
    assert "short-pw" not in every_text(result)


def test_a_non_sensitive_literal_is_quoted_to_help() -> None:
    result = load_text(thing("size: medium\n"), kinds, env={})

    assert "(got 'medium')" in errors(result)[0].message


def test_secrets_read_from_files_stay_hidden(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "pw.txt").write_text(SECRET + "\n")
    (app / "t.yaml").write_text(thing("count: {fromFile: pw.txt}\n"))

    result = load_path(app, kinds, env={})

    assert not result.ok
    assert SECRET not in every_text(result)


def test_a_resolved_resource_never_prints_its_secret() -> None:
    result = load_text(thing("token: {fromEnv: S}\n"), kinds, env={"S": SECRET})

    assert result.ok, result.diagnostics
    (resource,) = result.resources
    assert resource.spec["token"].reveal() == SECRET
    assert SECRET not in repr(resource) and SECRET not in str(resource.spec)
    assert resource.raw_spec["token"] == {"fromEnv": "S"}
