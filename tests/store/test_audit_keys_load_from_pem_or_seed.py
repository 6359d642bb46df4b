"""Checkpoint keys load from a PEM file or a base64 seed (as ``spec.auditKey`` gives them),
public keys from PEM, base64 or the private key itself; errors name the place, never the key."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from kedge.model import ConfigError, Secret
from kedge.store import audit_keys as keys

# A fixed seed: parametrized test ids must be the same in every test process.
SEED = bytes(range(32))
KEY = keys.Ed25519PrivateKey.from_private_bytes(SEED)
PUBLIC_PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def same(a: keys.Ed25519PublicKey, b: keys.Ed25519PublicKey) -> bool:
    return keys.public_key_text(a) == keys.public_key_text(b)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (keys.private_key_pem(KEY), "PEM bytes"),
        (keys.private_key_pem(KEY).decode(), "PEM text"),
        (base64.b64encode(SEED).decode(), "base64 seed"),
        (base64.urlsafe_b64encode(SEED).decode().rstrip("="), "url-safe seed without padding"),
        (" " + base64.b64encode(SEED).decode() + "\n", "seed with whitespace (an env file)"),
        (Secret(base64.b64encode(SEED).decode(), "fromEnv KEDGE_AUDIT_KEY"), "resolved secret"),
    ],
)
def test_a_private_key_loads_from_each_form(value: object, reason: str) -> None:
    loaded = keys.load_private_key(value)  # type: ignore[arg-type]
    assert same(loaded.public_key(), KEY.public_key()), reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (PUBLIC_PEM, "PEM public key"),
        (keys.public_key_text(KEY), "base64 raw public key"),
        (keys.private_key_pem(KEY), "the private key file itself"),
    ],
)
def test_a_public_key_loads_from_each_form(value: str | bytes, reason: str) -> None:
    assert same(keys.load_public_key(value), KEY.public_key()), reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not-a-key-at-all", "garbage"),
        (base64.b64encode(b"short-seed-123").decode(), "wrong length"),
        ("-----BEGIN PRIVATE KEY-----\nAAAAsecretmaterial\n-----END PRIVATE KEY-----\n", "broken PEM"),
    ],
)
def test_a_bad_private_key_is_a_config_error_without_its_content(value: str, reason: str) -> None:
    with pytest.raises(ConfigError, match="spec.auditKey") as raised:
        keys.load_private_key(value, "spec.auditKey")
    assert value.strip() not in str(raised.value) and "secretmaterial" not in str(raised.value), reason


def test_keys_written_to_disk_are_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "audit.pem"
    keys.write_private_key(path, KEY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert same(keys.read_private_key(path).public_key(), KEY.public_key())
    with pytest.raises(ConfigError, match="already exists"):
        keys.write_private_key(path, keys.generate_private_key())
    assert same(keys.read_private_key(path).public_key(), KEY.public_key())


def test_a_public_key_file_may_list_retired_keys(tmp_path: Path) -> None:
    old = keys.generate_private_key()
    listing = tmp_path / "audit.pub"
    listing.write_text(
        f"# current\n{keys.public_key_text(KEY)}\n\n# retired 2026-01\n{keys.public_key_text(old)}\n"
    )
    loaded = keys.read_public_keys(listing)
    assert [keys.public_key_text(k) for k in loaded] == [keys.public_key_text(KEY), keys.public_key_text(old)]
    (tmp_path / "empty.pub").write_text("# nothing\n")
    with pytest.raises(ConfigError, match="no public key"):
        keys.read_public_keys(tmp_path / "empty.pub")
    with pytest.raises(ConfigError, match="cannot read key file"):
        keys.read_public_keys(tmp_path / "missing.pub")


def test_key_ids_tell_keys_apart() -> None:
    other = keys.generate_private_key()
    assert keys.key_id(KEY) == keys.key_id(KEY.public_key()) != keys.key_id(other)
    assert len(keys.key_id(KEY)) == 16
