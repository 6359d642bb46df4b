"""fromEnv, fromFile, encrypted and fromResource values become Secrets and References."""

from __future__ import annotations

import textwrap
from pathlib import Path

from kedge.manifests import load_path, load_text
from kedge.model import Reference, Secret

from .conftest import dedent, errors, kinds, one_error


def thing(spec: str, name: str = "t") -> str:
    head = f"apiVersion: test.kedge.dev/v1\nkind: Thing\nmetadata: {{name: {name}}}\nspec:\n"
    return head + textwrap.indent(dedent(spec), "  ")


def test_from_env_becomes_a_secret_naming_its_source() -> None:
    result = load_text(thing("token: {fromEnv: API_TOKEN}\n"), kinds, env={"API_TOKEN": "s3cr3t"})

    assert result.ok, result.diagnostics
    token = result.resources[0].spec["token"]
    assert isinstance(token, Secret)
    assert (token.reveal(), token.source) == ("s3cr3t", "fromEnv API_TOKEN")


def test_from_file_is_read_relative_to_the_manifest_and_loses_one_newline(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "sub" / "secrets").mkdir(parents=True)
    (app / "sub" / "secrets" / "token").write_text("line one\nline two\n\n")
    (app / "top").write_text("top\n")
    (app / "sub" / "t.yaml").write_text(
        thing("token: {fromFile: secrets/token}\ntags:\n  other: {fromFile: ../top}\n")
    )

    result = load_path(app, kinds, env={})

    assert result.ok, result.diagnostics
    spec = result.resources[0].spec
    assert spec["token"].reveal() == "line one\nline two\n"
    assert spec["token"].source == "fromFile secrets/token"
    assert spec["tags"]["other"].reveal() == "top"


def test_from_file_outside_the_manifest_directory_is_refused(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    absolute = tmp_path / "abs-token"
    absolute.write_text("abs\n")
    (app / "t.yaml").write_text(thing(f"token: {{fromFile: {absolute}}}\nother: {{fromFile: ../abs-token}}\n"))

    result = load_path(app, kinds, env={})

    messages = [d.message for d in result.diagnostics if d.is_error]
    assert len(messages) == 2 and all("fromFile reads only files inside the app's source" in m for m in messages)


def test_from_file_in_text_is_relative_to_the_given_directory(tmp_path: Path) -> None:
    (tmp_path / "tok").write_text("value\r\n")

    result = load_text(thing("token: {fromFile: tok}\n"), kinds, env={}, base_dir=tmp_path)

    assert result.resources[0].spec["token"].reveal() == "value"


def test_from_resource_becomes_a_reference_wherever_a_value_goes() -> None:
    user = thing(
        """
        ref: {fromResource: {kind: Thing, name: base, field: id}}
        count: {fromResource: {kind: Thing, name: base, field: size}}
        items: [a, {fromResource: {kind: Thing, name: base, field: endpoint}}]
        """
    )
    text = user + "---\n" + thing("{}\n", name="base")

    result = load_text(text, kinds, env={})

    assert result.ok, result.diagnostics
    spec = result.resources[0].spec
    assert spec["ref"] == Reference("Thing", "base", "id")
    assert spec["count"] == Reference("Thing", "base", "size")  # an integer field takes a reference too
    assert spec["items"][1] == Reference("Thing", "base", "endpoint")


def test_encrypted_values_use_the_given_decrypter() -> None:
    result = load_text(
        thing("token: {encrypted: 'AGE:abc'}\n"), kinds, env={}, decrypt=lambda armor: armor[::-1]
    )

    assert result.ok, result.diagnostics
    token = result.resources[0].spec["token"]
    assert (token.reveal(), token.source) == ("cba:EGA", "encrypted")


def test_a_failing_decrypter_is_a_diagnostic_without_its_text() -> None:
    def refuse(armor: str) -> str:
        raise ValueError("no identity matched for key in payload AGE:abc")

    result = load_text(thing("token: {encrypted: 'AGE:abc'}\n"), kinds, env={}, decrypt=refuse)

    error = one_error(result)
    assert "cannot decrypt" in error.message and "ValueError" in error.message
    assert error.path == "spec.token.encrypted"


def test_a_mapping_with_more_than_the_special_key_is_an_ordinary_mapping() -> None:
    result = load_text(thing("tags: {fromEnv: X, team: a}\n"), kinds, env={"X": "1"})

    assert result.ok, result.diagnostics
    assert result.resources[0].spec["tags"] == {"fromEnv": "X", "team": "a"}


def test_without_resolving_secrets_they_stay_as_written_and_still_validate_the_rest() -> None:
    text = thing("token: {fromEnv: NOT_SET_HERE}\ncount: -1\n")

    result = load_text(text, kinds, env={}, resolve_secrets=False)

    (error,) = errors(result)
    assert error.path == "spec.count"  # the unset variable is not an error in this mode
    ok = load_text(thing("token: {fromEnv: NOT_SET_HERE}\n"), kinds, env={}, resolve_secrets=False)
    assert ok.ok
    assert ok.resources[0].spec["token"] == {"fromEnv": "NOT_SET_HERE"}


def test_malformed_special_values_are_diagnostics() -> None:
    text = thing(
        """
        token: {fromEnv: 'not a name'}
        ref: {fromFile: ''}
        items:
          - {fromResource: {kind: Thing, name: x, field: id, extra: 1}}
        """
    )

    result = load_text(text, kinds, env={})

    assert {(d.path, d.line) for d in errors(result)} == {
        ("spec.token.fromEnv", 5),
        ("spec.ref.fromFile", 6),
        ("spec.items[0].fromResource.extra", 8),
    }
