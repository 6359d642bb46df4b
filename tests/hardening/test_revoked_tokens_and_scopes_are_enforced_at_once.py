"""A revoked token's open event stream stops at once, and ``/metrics`` respects a token's scope.

Both run against the real API in front of the real controller (real git, the local provider).
"""

from __future__ import annotations

from tests.api.server import EventReader
from tests.controller.conftest import app_spec, file_doc, wait_for
from tests.hardening.helpers import api_client


def test_the_stream_of_a_revoked_token_stops_at_once(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    controller = make_controller()
    with api_client(controller) as http:
        viewer = http.post("/api/v1/tokens", json={"name": "watcher", "role": "viewer"}).json()["token"]
        url = str(http.base_url).rstrip("/") + "/api/v1/stream"
        reader = EventReader(url, {"Authorization": f"Bearer {viewer}"})
        try:
            assert http.post(
                "/api/v1/apps", json={"name": "web", "spec": app_spec(repo.path)}
            ).status_code in (
                200,
                201,
            )
            reader.wait_for("sync", timeout=15, app="web")
            # The sync's own status event closes the reconcile: whatever comes later is news.
            reader.wait_for("app", timeout=15, app="web")
            assert http.delete("/api/v1/tokens/watcher").status_code == 204
            seen = len(reader.raw)
            # Events keep coming (a commit is synced): none may reach the revoked token.
            repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")})
            wait_for(lambda: (root / "motd").read_text() == "v2\n", message="the second sync")
            assert reader.ended(timeout=3), "the stream of a revoked token is still open"
            after = [line for line in reader.raw[seen:] if line.startswith("event:")]
            assert after == []
        finally:
            reader.close()


def test_metrics_show_a_scoped_token_only_its_apps(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    controller = make_controller()
    with api_client(controller) as http:
        for name in ("pay-api", "web"):
            spec = app_spec(repo.path)
            assert http.post("/api/v1/apps", json={"name": name, "spec": spec}).status_code in (200, 201)
        wait_for(
            lambda: 'app="web"' in http.get("/metrics").text and 'app="pay-api"' in http.get("/metrics").text
        )
        created = http.post("/api/v1/tokens", json={"name": "pay", "role": "viewer", "apps": ["pay-*"]})
        scoped = {"Authorization": f"Bearer {created.json()['token']}"}
        text = http.get("/metrics", headers=scoped).text
        assert 'app="pay-api"' in text
        assert 'app="web"' not in text
        assert "kedge_git_requests_total" in text  # series of no app stay visible
