"""A File's content given as a secret is written in clear to the file and nowhere else: not in
observations as printed, not in outputs, not in any error message."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from kedge.model import ConfigError, KedgeError, Observation, ProviderError, Secret
from kedge.model.values import REDACTED, redact
from kedge.providers.base import ConnectContext
from kedge.providers.local import LocalClient, provider

from .conftest import APP, as_unprivileged, file_target, observe_one

CLEAR = "s3cr3t-p4ssw0rd-value"


def secret_target(path: str = "db/password", mode: str = "0600") -> object:
    return file_target(path, Secret(CLEAR, source="fromEnv DB_PASSWORD"), mode)


def test_secret_is_written_in_clear_only_to_the_file(client: LocalClient, root: Path) -> None:
    target = secret_target()
    applied = client.create(target)
    assert (root / "db" / "password").read_text() == CLEAR
    assert CLEAR not in repr(applied)

    seen = observe_one(client, target)
    assert seen.state["content"] == CLEAR  # compares equal: no false drift
    assert isinstance(seen.state["content"], Secret)
    assert CLEAR not in repr(seen) and CLEAR not in str(seen.state)
    assert redact(seen.state)["content"] == REDACTED


def test_content_is_hidden_when_the_spec_holds_a_reference_as_written(
    client: LocalClient, root: Path
) -> None:
    client.create(secret_target())
    for content in ({"fromEnv": "DB_PASSWORD"}, None):
        spec = {"path": "db/password", "content": content}
        target = file_target("db/password")
        seen = observe_one(client, type(target)(target.key, target.external_id, spec))
        assert isinstance(seen.state["content"], Secret)
        assert CLEAR not in repr(seen)
    assert observe_one(client, file_target("db/password", "plain")).state["content"] == CLEAR


def test_drifted_secret_file_is_not_shown_either(client: LocalClient, root: Path) -> None:
    client.create(secret_target())
    (root / "db" / "password").write_text("edited-by-hand-" + CLEAR)
    seen = observe_one(client, secret_target())
    assert seen.state["content"] != CLEAR
    assert "edited-by-hand" not in repr(seen)


def _errors(client: LocalClient, root: Path) -> list[KedgeError]:
    """Provoke every kind of failure with a secret in the spec; collect the errors."""
    out: list[KedgeError] = []
    (root / "adir").mkdir()
    (root / "link").symlink_to(root / "adir")
    attempts = [
        lambda: client.create(file_target("../" + CLEAR, Secret(CLEAR))),  # the value shows up twice
        lambda: client.create(file_target("ok", Secret(CLEAR), "9999")),
        lambda: client.create(file_target("adir", Secret(CLEAR))),
        lambda: client.create(file_target("link/x", Secret(CLEAR))),
        lambda: client.observe_many("File", [file_target("adir", Secret(CLEAR))]),
        lambda: client.update(file_target("adir", Secret(CLEAR)), Observation(True, {"mode": "1"}), []),
        lambda: client.create(file_target(Secret("../" + CLEAR), Secret(CLEAR))),
        lambda: client.create(file_target(CLEAR + "/" + "x" * 300, Secret(CLEAR))),
    ]
    for attempt in attempts:
        with pytest.raises(KedgeError) as raised:
            attempt()
        out.append(raised.value)
    return out


def test_no_error_text_holds_the_secret(client: LocalClient, root: Path) -> None:
    errors = _errors(client, root)
    assert {type(e) for e in errors} == {ConfigError, ProviderError}
    for error in errors:
        assert CLEAR not in str(error), error
        assert CLEAR not in repr(error.args)
        for diagnostic in getattr(error, "diagnostics", []):
            assert CLEAR not in str(diagnostic)
        assert error.__cause__ is None and error.__suppress_context__


def test_permission_error_does_not_show_the_secret() -> None:
    base = Path(tempfile.mkdtemp(prefix="kedge-secret-"))
    try:
        os.chmod(base, 0o755)
        (base / "locked").mkdir(mode=0o700)
        os.chmod(base / "locked", 0o700 if os.geteuid() == 0 else 0o000)

        def create() -> object:
            client = provider.connect({"root": str(base)}, ConnectContext(app=APP))
            return client.create(file_target("locked/" + CLEAR, Secret(CLEAR)))

        error, message = as_unprivileged(create)
        assert error == "ProviderError"
        assert CLEAR not in message
        assert REDACTED in message
    finally:
        os.chmod(base / "locked", 0o700)
        shutil.rmtree(base)
