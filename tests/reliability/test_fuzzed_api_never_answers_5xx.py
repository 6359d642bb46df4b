"""Schemathesis against the API in front of the real controller: every role, every operation,
random (valid and invalid) requests, and no answer is a server error.

The controller is real (state store, git source, local provider) but not started, so the
random requests meet the same validation, store and planning code a server runs, while
nothing reconciles behind them. Each role (admin, operator, viewer, and an operator scoped to
``payments*``) sends its own examples to every operation. The event stream is left out: it
never ends by design; ``tests/api`` covers it.

``KEDGE_FUZZ_EXAMPLES`` raises the examples per (role, operation) for a long run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from kedge.api.asgi import ApiSettings, create_asgi_app
from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.sources import LocalSources
from kedge.store import Store
from tests.api.conftest import WEBHOOK_SECRET, bearer
from tests.controller.conftest import GitRepo, app_spec, file_doc, provider_config

EXAMPLES = int(os.environ.get("KEDGE_FUZZ_EXAMPLES", "4"))
ROLES = ("admin", "operator", "viewer", "scoped")
_document = create_asgi_app(None, None, admin_token=None, webhook_secret=None).openapi()  # type: ignore[arg-type]
OPERATIONS = [
    (method.upper(), path)
    for path, item in _document["paths"].items()
    for method in item
    if path != "/api/v1/stream"
]
# 5xx answers the document itself promises (``/readyz``: 503 until the controller runs).
PROMISED = {
    (method.upper(), path): {int(code) for code in operation["responses"] if code.isdigit() and int(code) >= 500}
    for path, item in _document["paths"].items()
    for method, operation in item.items()
}


@dataclass
class World:
    api: FastAPI
    tokens: dict[str, str]
    store: Store


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    repo = GitRepo(tmp / "repo")
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    root = tmp / "files"
    root.mkdir()
    store = Store.open(str(tmp / "state.db"))
    engine = Engine(store, extra_configs=[provider_config(root)])
    controller = Controller(store, engine, cache_dir=tmp / "git-cache", local_sources=LocalSources.under([repo.path]))
    for name in ("payments", "web"):
        controller.create_app(name, app_spec(repo.path), "test")
    tokens = {role: store.create_token(role, role) for role in ("admin", "operator", "viewer")}
    tokens["scoped"] = store.create_token("scoped", "operator", apps=["payments*"])
    api = create_asgi_app(
        controller,
        store,
        admin_token=None,
        webhook_secret=WEBHOOK_SECRET,
        settings=ApiSettings(failed_logins=1_000_000),
    )
    yield World(api, tokens, store)
    engine.close()
    store.close()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_role_gets_a_server_error_from_any_operation(method: str, path: str, role: str, world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.api)
    operation = schema[path][method]
    seen: list[str] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=bool(os.environ.get("CI")),
    )
    def check(case: Any) -> None:
        response = case.call(headers=bearer(world.tokens[role]))
        seen.append(f"{case.method} {case.formatted_path} -> {response.status_code}")
        promised = PROMISED[(method, path)]
        assert response.status_code < 500 or response.status_code in promised, f"{case.method} {case.formatted_path}: {response.text[:500]}"
        assert "Traceback" not in response.text

    check()
    assert seen, "no request was sent"
    assert world.store.verify_audit([]).ok, "the audit chain broke"
