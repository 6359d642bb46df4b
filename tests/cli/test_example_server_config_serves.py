"""examples/kedge.yaml is a complete configuration that `kedge serve` starts from."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from kedge.cli.server import read_config
from tests.cli.process import ROOT, command, env, free_port

EXAMPLE = ROOT / "examples" / "kedge.yaml"
SECRETS = {
    "KEDGE_ADMIN_TOKEN": "example-admin-token-0123456789",
    "KEDGE_WEBHOOK_SECRET": "example-webhook-secret",
    "PAYMENTS_DB_DSN": "postgresql://kedge@127.0.0.1:9/postgres",
}


def test_the_example_declares_server_settings_providers_policies_and_apps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = read_config(EXAMPLE)
    assert settings.admin_token == SECRETS["KEDGE_ADMIN_TOKEN"]
    assert settings.webhook_secret == SECRETS["KEDGE_WEBHOOK_SECRET"]
    assert {d.spec["provider"] for d in settings.provider_configs} == {"local", "postgres", "aws"}
    local = next(d for d in settings.provider_configs if d.spec["provider"] == "local")
    assert local.spec["settings"]["root"] == str(ROOT / "build" / "served-files"), "relative to the file"
    assert [a.name for a in settings.apps] == ["payments-db", "web-config"]
    assert [p.name for p in settings.policies] == ["guardrails"]


def test_kedge_serve_starts_from_the_example(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        command("serve", "--config", EXAMPLE, "--port", port, "--db", tmp_path / "state.db"),
        cwd=tmp_path,
        env=env(**SECRETS),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        apps = None
        while apps is None and time.monotonic() < deadline:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/apps",
                    headers={"Authorization": f"Bearer {SECRETS['KEDGE_ADMIN_TOKEN']}"},
                )
                with urllib.request.urlopen(request, timeout=2) as response:
                    apps = json.load(response)
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                time.sleep(0.2)
        assert apps is not None, "the server did not answer"
        assert sorted(a["name"] for a in apps) == ["payments-db", "web-config"]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0
