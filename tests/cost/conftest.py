"""Cost tests: app directories with an AWS ProviderConfig in a region the catalog lists."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import write

AWS_CONFIG = """
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {name: default}
spec:
  provider: aws
  settings: {region: REGION}
"""


@pytest.fixture
def cost_app(tmp_path: Path) -> Callable[..., Path]:
    """An app directory with ``body`` and an AWS ProviderConfig in ``region``."""

    def make(body: str, region: str = "us-east-1", name: str = "shop") -> Path:
        app = tmp_path / name
        write(app / "provider.yaml", AWS_CONFIG.replace("REGION", region))
        write(app / "resources.yaml", body)
        return app

    return make


@pytest.fixture
def cost_json(kedge) -> Callable[..., dict]:
    def run(app: Path, *args: str) -> dict:
        result = kedge("cost", app, "-o", "json", *args)
        assert result.exit_code == 0, result
        return json.loads(result.stdout)

    return run
