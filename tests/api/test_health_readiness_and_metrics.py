"""``/healthz`` answers while the process serves, ``/readyz`` follows the control plane, both
without a token and saying nothing but ``ok``; ``/metrics`` needs a token and serves the
controller's registry followed by the API's own request metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Counter

from kedge.api.asgi import create_asgi_app
from kedge.store import Store
from tests.api.conftest import bearer
from tests.api.fakes import FakeControlPlane


def test_healthz_needs_no_token_and_ignores_a_bad_one(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"ok": True}
    assert client.get("/healthz", headers=bearer("kedge_forged")).status_code == 200


def test_readyz_follows_the_control_plane(client: TestClient, control: FakeControlPlane) -> None:
    assert (client.get("/readyz").status_code, client.get("/readyz").json()) == (200, {"ok": True})
    control.is_ready = False
    assert (client.get("/readyz").status_code, client.get("/readyz").json()) == (503, {"ok": False})


def test_readyz_is_503_when_the_control_plane_fails(client: TestClient, control: FakeControlPlane) -> None:
    def broken() -> bool:
        raise RuntimeError("store unreachable")

    control.ready = broken  # type: ignore[method-assign]
    assert client.get("/readyz").status_code == 503


def test_metrics_serve_the_controllers_registry_and_request_counts(
    control: FakeControlPlane, store: Store, tokens: dict[str, str]
) -> None:
    registry = CollectorRegistry()
    Counter("kedge_reconcile_total", "Reconciles", registry=registry).inc(7)
    app = create_asgi_app(control, store, admin_token=None, webhook_secret=None, metrics_registry=registry)
    with TestClient(app) as c:
        assert c.get("/metrics").status_code == 401
        c.get("/api/v1/apps/web", headers=bearer(tokens["viewer"]))
        c.get("/api/v1/apps/nope", headers=bearer(tokens["viewer"]))
        text = c.get("/metrics", headers=bearer(tokens["viewer"])).text
    assert "kedge_reconcile_total 7.0" in text
    assert 'kedge_http_requests_total{method="GET",route="/api/v1/apps/{name}",status="200"} 1.0' in text
    assert 'kedge_http_requests_total{method="GET",route="/api/v1/apps/{name}",status="404"} 1.0' in text
