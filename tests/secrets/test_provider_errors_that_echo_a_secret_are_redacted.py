"""A provider error whose message holds a secret value is shown and stored redacted."""

from __future__ import annotations

import uuid

import pytest

from kedge.model import ProviderError
from kedge.providers import registry
from kedge.providers.fake import FakeProvider
from tests.conftest import write

FAKE = FakeProvider(name="echo")
registry.register(FAKE)


def app_with_thing(tmp_path, name: str):
    app = tmp_path / name
    write(
        app / "resources.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec: {{provider: echo}}
        ---
        apiVersion: echo.kedge.dev/v1
        kind: Thing
        metadata: {{name: {name}}}
        spec:
          value: 1
          secret: {{fromEnv: ECHO_SECRET}}
        """,
    )
    return app


@pytest.mark.parametrize("method", ["create", "observe_many"])
def test_the_echoed_secret_is_redacted_everywhere(kedge, tmp_path, method) -> None:
    secret = f"echo-{uuid.uuid4().hex}"
    name = f"thing-{method.replace('_', '-')}"
    app = app_with_thing(tmp_path, name)
    FAKE.fail(method, name, ProviderError(f"invalid password {secret!r} for {name}"))
    result = kedge("apply", app, "--auto-approve", env={"ECHO_SECRET": secret})
    assert result.exit_code == 1, result
    assert "invalid password '(sensitive)'" in result.output
    assert secret not in result.output
    for path in (app / ".kedge").glob("state.db*"):
        assert secret.encode() not in path.read_bytes()
    assert FAKE.get("Thing", name) is None
