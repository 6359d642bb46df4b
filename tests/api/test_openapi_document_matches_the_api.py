"""Schemathesis, driven by ``/openapi.json``, sends generated valid and invalid requests to every
operation: no answer is a 5xx, and every answer matches the document (status codes, content
types, body schemas). The event stream is left out: it never ends by design."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from kedge.api.asgi import create_asgi_app
from kedge.store import Store
from tests.api.conftest import ADMIN_TOKEN, bearer, make_app
from tests.api.fakes import FakeControlPlane

_document = create_asgi_app(None, None, admin_token=None, webhook_secret=None).openapi()  # type: ignore[arg-type]
OPERATIONS = [
    (method.upper(), path)
    for path, item in _document["paths"].items()
    for method in item
    if path != "/api/v1/stream"
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_errors_and_every_response_matches_the_document(
    method: str, path: str, control: FakeControlPlane, store: Store
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", make_app(control, store))
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    # In CI the examples are fixed (derandomized) so a run is repeatable; locally they vary.
    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=bool(os.environ.get("CI")),
    )
    def check(case: Any) -> None:
        case.call_and_validate(headers=bearer(ADMIN_TOKEN))

    check()
