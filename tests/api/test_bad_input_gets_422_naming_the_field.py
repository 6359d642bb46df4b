"""Invalid JSON, wrong types, unknown fields and out-of-range values answer 422 with the field
named in ``details``, never a 500 and never a silently ignored setting."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kedge.model import ConfigError, Diagnostic
from tests.api.conftest import REPO, bearer
from tests.api.fakes import FakeControlPlane

SPEC = {"source": {"repoURL": REPO}}

CASES: list[tuple[str, str, str, Any, str]] = [
    # (reason, method, path, body (str: raw text), field named)
    ("not JSON at all", "POST", "/api/v1/apps", "{name: web", "body"),
    ("JSON but not an object", "POST", "/api/v1/apps", "[1, 2]", "body"),
    ("name missing", "POST", "/api/v1/apps", {"spec": SPEC}, "body.name"),
    ("name is a number", "POST", "/api/v1/apps", {"name": 5, "spec": SPEC}, "body.name"),
    ("name with capitals", "POST", "/api/v1/apps", {"name": "Bad_Name", "spec": SPEC}, "body.name"),
    ("spec is a string", "POST", "/api/v1/apps", {"name": "ok", "spec": "source: x"}, "body.spec"),
    (
        "spec without a source",
        "POST",
        "/api/v1/apps",
        {"name": "ok", "spec": {"syncPolicy": {}}},
        "body.spec.source",
    ),
    (
        "repository that is not a URL",
        "POST",
        "/api/v1/apps",
        {"name": "ok", "spec": {"source": {"repoURL": "x"}}},
        "body.spec.source.repoURL",
    ),
    ("unknown field", "POST", "/api/v1/apps", {"name": "ok", "spec": SPEC, "specs": {}}, "body.specs"),
    ("prune as a word", "POST", "/api/v1/apps/web/sync", {"prune": "yes"}, "body.prune"),
    ("misspelt sync option", "POST", "/api/v1/apps/web/sync", {"prun": True}, "body.prun"),
    ("revision as a number", "POST", "/api/v1/apps/web/sync", {"revision": 42}, "body.revision"),
    ("rollback id as text", "POST", "/api/v1/apps/web/rollback", {"id": "1"}, "body.id"),
    ("rollback id zero", "POST", "/api/v1/apps/web/rollback", {"id": 0}, "body.id"),
    ("rollback id missing", "POST", "/api/v1/apps/web/rollback", {}, "body.id"),
    ("role that does not exist", "POST", "/api/v1/tokens", {"name": "x", "role": "root"}, "body.role"),
    (
        "expiry without a unit",
        "POST",
        "/api/v1/tokens",
        {"name": "x", "role": "viewer", "expiresIn": "30"},
        "body.expiresIn",
    ),
    (
        "apps scope as a string",
        "POST",
        "/api/v1/tokens",
        {"name": "x", "role": "viewer", "apps": "pay-*"},
        "body.apps",
    ),
    ("limit as text", "GET", "/api/v1/audit?limit=many", None, "query.limit"),
    ("limit too large", "GET", "/api/v1/audit?limit=100000", None, "query.limit"),
    ("sync filter not a status", "GET", "/api/v1/apps?sync=Fine", None, "query.sync"),
]


@pytest.mark.parametrize(("reason", "method", "path", "body", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_422_with_the_field(
    client: TestClient, tokens: dict[str, str], reason: str, method: str, path: str, body: Any, field: str
) -> None:
    headers = bearer(tokens["admin"])
    if isinstance(body, str):
        response = client.request(
            method, path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
    else:
        response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == 422, reason
    problem = response.json()
    assert problem["code"] == "invalid_request"
    assert any(d["field"] == field or d["field"].startswith(field + ".") for d in problem["details"]), problem
    assert field in problem["message"] or field == "body"


def test_a_spec_the_control_plane_refuses_is_422_with_its_diagnostics(
    client: TestClient, tokens: dict[str, str], control: FakeControlPlane
) -> None:
    def refuse(name: str, spec: object, actor: str) -> dict:  # type: ignore[type-arg]
        raise ConfigError(
            f"app {name!r}: spec.source.repoURL is not reachable",
            [Diagnostic.error("no such repository", path="spec.source.repoURL")],
        )

    control.create_app = refuse  # type: ignore[method-assign]
    response = client.post(
        "/api/v1/apps",
        json={"name": "nourl", "spec": {"source": {"repoURL": REPO}}},
        headers=bearer(tokens["admin"]),
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_config"
    assert "spec.source.repoURL" in problem["message"]
    assert problem["details"][0]["message"] == "spec.source.repoURL: no such repository"


def test_wrong_content_type_is_422_not_500(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/apps",
        content=b"name=web",
        headers={**bearer(tokens["admin"]), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422
