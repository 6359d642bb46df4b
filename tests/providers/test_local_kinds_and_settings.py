"""What ``kedge explain`` and the manifest validator read from the local provider, and how bad
ProviderConfig settings are reported."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest

from kedge.model import ConfigError
from kedge.providers.base import ConnectContext
from kedge.providers.local import provider

from .conftest import file_target

CTX = ConnectContext(app="shop")


def test_file_and_directory_schemas() -> None:
    file, directory = provider.kinds["File"], provider.kinds["Directory"]
    assert file.api_version == directory.api_version == "local.kedge.dev/v1"
    assert file.outputs == {"path": "absolute path of the file", "sha256": "hex digest of the content"}
    assert set(directory.outputs) == {"path"}
    for spec, default_mode in ((file, "0644"), (directory, "0755")):
        schema = spec.schema
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["required"] == ["path"]
        assert schema["additionalProperties"] is False
        assert schema["properties"]["mode"]["default"] == default_mode
        assert spec.description
        assert all(p.get("description") for p in schema["properties"].values())
    assert file.schema["properties"]["content"]["default"] == ""


SPECS = [
    ({"path": "a.txt"}, True, "content and mode are optional"),
    ({"path": "a.txt", "content": "x", "mode": "0600"}, True, "all fields"),
    ({"path": "a.txt", "mode": "644"}, True, "a mode without its leading zero"),
    ({"path": "a.txt", "mode": "4755"}, True, "setuid bits"),
    ({"content": "x"}, False, "path is required"),
    ({"path": "a.txt", "mode": "0888"}, False, "8 is not an octal digit"),
    ({"path": "a.txt", "mode": "rw-r--r--"}, False, "symbolic modes are not octal"),
    ({"path": "a.txt", "owner": "root"}, False, "unknown fields are errors"),
]


@pytest.mark.parametrize(("spec", "valid", "reason"), SPECS, ids=[c[2] for c in SPECS])
def test_file_schema_accepts_and_refuses(spec: dict, valid: bool, reason: str) -> None:
    errors = list(jsonschema.Draft202012Validator(provider.kinds["File"].schema).iter_errors(spec))
    assert (not errors) is valid, reason


def test_bad_mode_is_refused_at_apply_too(tmp_path: Path) -> None:
    client = provider.connect({"root": str(tmp_path)}, CTX)
    with pytest.raises(ConfigError, match=re.escape("spec.mode: '0888' is not an octal mode")):
        client.create(file_target("a.txt", "x", "0888"))
    assert list(tmp_path.iterdir()) == []


def test_settings_schema() -> None:
    schema = provider.settings_schema
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["root"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["fsync"]["default"] is False


BAD_SETTINGS = [
    ({}, "root: required", "no root"),
    ({"root": ""}, "root: required", "an empty root"),
    ({"root": 3}, "root: required", "a root that is not a string"),
    ({"root": "/x", "fsync": "yes"}, "fsync: must be true or false", "fsync must be a boolean"),
    ({"root": "/x", "rot": "/y"}, "rot: unknown setting", "a misspelt setting is an error"),
]


@pytest.mark.parametrize(("settings", "message", "reason"), BAD_SETTINGS, ids=[c[2] for c in BAD_SETTINGS])
def test_bad_settings_are_config_errors(settings: dict, message: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        provider.connect(settings, CTX)
    assert raised.value.diagnostics[0].path.startswith("spec.settings."), reason


def test_relative_root_is_taken_from_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    client = provider.connect({"root": "out"}, CTX)
    client.create(file_target("a.txt", "x"))
    assert (tmp_path / "out" / "a.txt").read_text() == "x"


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    client = provider.connect({"root": str(tmp_path)}, CTX)
    with pytest.raises(ConfigError, match="no kind 'Symlink'"):
        client.observe_many("Symlink", [])
