"""The example in examples/azure applies against azurite and then plans clean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.azure

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "azure"


def test_example_applies_and_plans_clean(kedge, tmp_path, azure, monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure.server.connection_string)
    app = tmp_path / "azure"
    shutil.copytree(EXAMPLE, app)
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0
    assert (
        azure.blob().get_container_client("invoices").get_container_properties().metadata["kedge_app"]
        == "azure"
    )
