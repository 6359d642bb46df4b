"""keygen -> encrypt -> manifest -> apply with KEDGE_AGE_IDENTITY_FILE: the file holds the clear value."""

from __future__ import annotations

import stat

import yaml

from tests.conftest import write
from tests.secrets.secret_support import age_identity, kedge_secret


def test_keygen_writes_a_private_identity_and_prints_the_recipient(tmp_path) -> None:
    key = tmp_path / "server.key"
    result = kedge_secret("keygen", "--output", key)
    assert result.exit_code == 0, result
    recipient = result.stdout.strip()
    assert recipient.startswith("age1")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    text = key.read_text()
    assert "AGE-SECRET-KEY-1" in text and recipient in text
    assert "AGE-SECRET-KEY" not in result.output, "the identity is never printed"


def test_keygen_refuses_to_overwrite_an_identity(tmp_path) -> None:
    key = tmp_path / "server.key"
    assert kedge_secret("keygen", "--output", key).exit_code == 0
    before = key.read_text()
    result = kedge_secret("keygen", "--output", key)
    assert result.exit_code == 1 and "exists; pass --force" in result.stderr
    assert key.read_text() == before
    assert kedge_secret("keygen", "--output", key, "--force").exit_code == 0
    assert key.read_text() != before


def test_encrypted_value_is_decrypted_by_plan_and_apply(kedge, local_app, tmp_path) -> None:
    key = tmp_path / "server.key"
    recipient = kedge_secret("keygen", "--output", key).stdout.strip()
    value = "db-password-7f3a\nsecond line"
    result = kedge_secret("encrypt", "--recipient", recipient, input=value + "\n")
    assert result.exit_code == 0, result
    line = result.stdout.strip()
    assert line.startswith("{encrypted: ") and "\n" not in line
    assert value.splitlines()[0] not in line
    assert yaml.safe_load(line)["encrypted"].startswith("-----BEGIN AGE ENCRYPTED FILE-----\n")

    app, root = local_app(
        f"""
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata: {{name: password}}
        spec:
          path: password.txt
          content: {line}
        """
    )
    env = {"KEDGE_AGE_IDENTITY_FILE": str(key)}
    plan = kedge("plan", app, env=env)
    assert plan.exit_code == 0, plan
    assert "(sensitive)" in plan.stdout and "db-password" not in plan.output
    applied = kedge("apply", app, "--auto-approve", env=env)
    assert applied.exit_code == 0, applied
    assert (root / "password.txt").read_text() == value
    assert "db-password" not in applied.output


def test_a_value_can_be_encrypted_for_several_recipients(tmp_path) -> None:
    from kedge.engine.encryption import decrypter, read_identities

    keys = [tmp_path / "a.key", tmp_path / "b.key"]
    recipients = [kedge_secret("keygen", "-o", k).stdout.strip() for k in keys]
    line = kedge_secret("encrypt", "-r", recipients[0], "-r", recipients[1], input="shared").stdout
    armor = yaml.safe_load(line)["encrypted"]
    for k in keys:
        assert decrypter(read_identities(k))(armor) == "shared"


def test_encrypt_rejects_a_bad_recipient_and_an_empty_value(tmp_path) -> None:
    _, recipient = age_identity(tmp_path)
    bad = kedge_secret("encrypt", "--recipient", "age1notakey", input="v")
    assert bad.exit_code == 1 and "is not an age recipient" in bad.stderr
    empty = kedge_secret("encrypt", "--recipient", recipient, input="")
    assert empty.exit_code == 1 and "no value on stdin" in empty.stderr


def test_fold_and_whitespace_in_the_armor_do_not_matter(kedge, local_app, tmp_path) -> None:
    key, recipient = age_identity(tmp_path)
    armor = yaml.safe_load(kedge_secret("encrypt", "-r", recipient, input="folded").stdout)["encrypted"]
    block = "\n".join("      " + part for part in armor.strip().splitlines())
    app, root = local_app("")
    write(
        app / "resources.yaml",
        "apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: f}\nspec:\n  path: f.txt\n"
        f"  content:\n    encrypted: >\n{block}\n",
    )
    result = kedge("apply", app, "--auto-approve", env={"KEDGE_AGE_IDENTITY_FILE": str(key)})
    assert result.exit_code == 0, result
    assert (root / "f.txt").read_text() == "folded"
