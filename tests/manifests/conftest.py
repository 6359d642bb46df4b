"""Kinds and helpers for the manifest tests: a fake ``File`` and a fake ``Thing`` kind.

The lookup stands in for the provider registry, so these tests depend on no real provider.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from kedge.manifests import LoadResult, load_text
from kedge.model import Diagnostic, KindSpec

FILE_API = "local.kedge.dev/v1"
THING_API = "test.kedge.dev/v1"

FILE = KindSpec(
    api_version=FILE_API,
    kind="File",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["path"],
        "properties": {
            "path": {"type": "string", "minLength": 1},
            "content": {"type": "string", "default": ""},
            "mode": {"type": "string", "pattern": "^0[0-7]{3}$", "default": "0644"},
        },
    },
    identity_field="path",
    outputs={"sha256": "digest of the content"},
)

THING = KindSpec(
    api_version=THING_API,
    kind="Thing",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "ref": {"type": "string"},
            "count": {"type": "integer", "minimum": 0},
            "size": {"type": "string", "enum": ["small", "large"]},
            "password": {"type": "string", "minLength": 12},
            "token": {"type": "string"},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "items": {"type": "array", "items": {"type": "string"}},
            "nested": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"inner": {"type": "integer"}},
            },
        },
    },
    sensitive=frozenset({"password"}),
    outputs={"id": "the thing's id", "endpoint": "where it answers"},
)

KINDS = {(k.api_version, k.kind): k for k in (FILE, THING)}


def kinds(api_version: str, kind: str) -> KindSpec | None:
    return KINDS.get((api_version, kind))


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def load(text: str, **kwargs: object) -> LoadResult:
    return load_text(dedent(text), kinds, file="app.yaml", env=kwargs.pop("env", {}), **kwargs)  # type: ignore[arg-type]


def errors(result: LoadResult) -> list[Diagnostic]:
    return [d for d in result.diagnostics if d.is_error]


def one_error(result: LoadResult) -> Diagnostic:
    found = errors(result)
    assert len(found) == 1, "\n".join(map(str, result.diagnostics))
    return found[0]


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a (dedented) file under ``tmp_path/app``; returns its path."""

    def put(name: str, text: str) -> Path:
        path = tmp_path / "app" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
        return path

    (tmp_path / "app").mkdir(exist_ok=True)
    return put


def file_doc(name: str, path: str, extra: str = "") -> str:
    return (
        f"apiVersion: {FILE_API}\nkind: File\nmetadata:\n  name: {name}\n"
        f"spec:\n  path: {path}\n  content: hello\n{extra}"
    )
