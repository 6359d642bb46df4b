"""Encrypted values that cannot be decrypted: a diagnostic naming file, line and field, no key material."""

from __future__ import annotations

import json

import pytest

from kedge.engine.encryption import encrypt, generate, parse_recipient
from tests.conftest import write
from tests.secrets.secret_support import age_identity

CLEAR = "clear-text-0b5e"


def armor_for(recipient: str, value: str = CLEAR) -> str:
    return encrypt(value, [parse_recipient(recipient)])


def other_recipient(_: str) -> str:
    return armor_for(generate()[1])


def truncated(recipient: str) -> str:
    text = armor_for(recipient)
    return text[: len(text) // 2]


def lines_removed(recipient: str) -> str:
    lines = armor_for(recipient, CLEAR * 40).splitlines()
    return "\n".join(lines[:2] + lines[-2:]) + "\n"


def altered(recipient: str) -> str:
    """A byte of the payload changed (a changed header reads as another recipient's)."""
    lines = armor_for(recipient, CLEAR * 40).splitlines()
    body = lines[-3]
    lines[-3] = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    return "\n".join(lines) + "\n"


def not_base64(recipient: str) -> str:
    lines = armor_for(recipient).splitlines()
    lines[1] = "!!!!" + lines[1][4:]
    return "\n".join(lines) + "\n"


CASES = [
    ("encrypted for another recipient", other_recipient, "NotForThisIdentity"),
    ("cut in the middle", truncated, "TruncatedOrCorrupted"),
    ("lines removed from the body", lines_removed, "TruncatedOrCorrupted"),
    ("altered after encryption", altered, "TruncatedOrCorrupted"),
    ("an armor whose body is not base64", not_base64, "NotBase64"),
    ("not armored at all", lambda r: "just some words", "NotAgeArmor"),
    ("base64 that is not an age file", lambda r: "aGVsbG8gd29ybGQ=", "NotAgeArmor"),
    ("an end line without a begin line", lambda r: "abc\n-----END AGE ENCRYPTED FILE-----", "NotAgeArmor"),
]


@pytest.mark.parametrize(("reason", "make", "problem"), CASES, ids=[c[0] for c in CASES])
def test_bad_value_is_a_diagnostic_at_its_place(kedge, local_app, tmp_path, reason, make, problem) -> None:
    key, recipient = age_identity(tmp_path)
    value = make(recipient)
    app, root = local_app("")
    write(
        app / "resources.yaml",
        "# a comment\napiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: f}\nspec:\n  path: f.txt\n"
        f"  content: {{encrypted: {json.dumps(value)}}}\n",
    )
    result = kedge("plan", app, "-o", "json", env={"KEDGE_AGE_IDENTITY_FILE": str(key)})
    assert result.exit_code == 1, (reason, result)
    errors = [d for d in json.loads(result.stdout)["diagnostics"] if d["severity"] == "error"]
    assert len(errors) == 1, errors
    [d] = errors
    assert d["file"] == "resources.yaml" and d["line"] == 7, d
    assert d["message"].startswith("spec.content.encrypted: cannot decrypt the value")
    assert problem in d["message"], (reason, d)
    identity = key.read_text().splitlines()[-1]
    for secret in (identity, identity[20:40], CLEAR):
        assert secret not in result.output
    for line in value.splitlines():
        if len(line) > 12:
            assert line[4:16] not in result.output, "no ciphertext is quoted"
    assert not (root / "f.txt").exists()


def test_a_missing_identity_file_is_a_clear_error(kedge, local_app, tmp_path) -> None:
    app, _ = local_app("")
    result = kedge("plan", app, env={"KEDGE_AGE_IDENTITY_FILE": str(tmp_path / "nope.key")})
    assert result.exit_code == 1
    assert "KEDGE_AGE_IDENTITY_FILE=" in result.stderr and "no such file" in result.stderr
    assert "Traceback" not in result.output


def test_a_damaged_identity_file_is_named_by_line_without_quoting_it(kedge, local_app, tmp_path) -> None:
    identity, _ = generate()
    damaged = identity[:-6] + "QQQQQQ"
    key = tmp_path / "bad.key"
    key.write_text(f"# comment\n{damaged}\n")
    app, _ = local_app("")
    result = kedge("plan", app, env={"KEDGE_AGE_IDENTITY_FILE": str(key)})
    assert result.exit_code == 1
    assert "line 2 is not an age identity" in result.stderr
    assert damaged[15:35] not in result.output


def test_an_identity_file_without_identities_is_an_error(kedge, local_app, tmp_path) -> None:
    key = tmp_path / "empty.key"
    key.write_text("# nothing here\n")
    app, _ = local_app("")
    result = kedge("plan", app, env={"KEDGE_AGE_IDENTITY_FILE": str(key)})
    assert result.exit_code == 1 and "holds no age identity" in result.stderr
