"""An engine on a temporary SQLite store and a fresh fake provider, and apps written as YAML."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kedge.engine import Engine
from kedge.engine.retry import RetryPolicy
from kedge.providers import registry
from kedge.providers.fake import FakeProvider
from kedge.store import Store

PROVIDER = "enginetest"
CONFIG = f"""apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {{name: default}}
spec: {{provider: {PROVIDER}, settings: {{}}}}
"""


@pytest.fixture
def fake() -> FakeProvider:
    provider = FakeProvider(PROVIDER)
    registry.register(provider)  # a fresh world for every test
    return provider


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(str(tmp_path / "kedge.db"))


@pytest.fixture
def engine(store: Store, fake: FakeProvider) -> Iterator[Engine]:
    # No waiting between retries: the policy's delays are 0 s.
    e = Engine(store, retry=RetryPolicy(attempts=3, base=0.0, cap=0.0))
    yield e
    e.close()


def thing(name: str, body: str = "value: 1", depends_on: str = "") -> str:
    """A Thing manifest; ``body`` is its spec in YAML flow style."""
    annotations = f", annotations: {{kedge.dev/depends-on: '{depends_on}'}}" if depends_on else ""
    return (
        f"apiVersion: {PROVIDER}.kedge.dev/v1\nkind: Thing\n"
        f"metadata: {{name: {name}{annotations}}}\nspec: {{{body}}}\n"
    )


def ref(name: str, field: str = "id") -> str:
    return f"{{fromResource: {{kind: Thing, name: {name}, field: {field}}}}}"


def write_app(path: Path, *manifests: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.yaml"):
        old.unlink()
    (path / "config.yaml").write_text(CONFIG)
    if manifests:
        (path / "things.yaml").write_text("---\n".join(manifests))
    return path
