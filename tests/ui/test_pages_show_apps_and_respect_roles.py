"""The server-rendered pages: each has a title and a skip link; the app list shows sync and
health and filters on the server too (the page works without its script); operators see the
action buttons and viewers do not; a scoped user sees only their apps."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from kedge.store import Store
from tests.api.fakes import FakeControlPlane


def sign_in(client: TestClient, token: str) -> None:
    client.post("/login", data={"token": token}, follow_redirects=False)


def title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html)
    assert match, "page without a title"
    return match.group(1)


def test_every_page_has_a_title_a_language_and_a_skip_link(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert title(client.get("/login").text) == "Sign in · Kedge"
    sign_in(client, tokens["viewer"])
    for path, expected in [
        ("/", "Apps · Kedge"),
        ("/apps/web", "web · Kedge"),
        ("/audit", "Audit log · Kedge"),
        ("/apps/nope", "Not found · Kedge"),
    ]:
        html = client.get(path).text
        assert title(html) == expected
        assert '<html lang="en">' in html
        assert 'href="#main"' in html and 'id="main"' in html


def test_the_list_shows_status_and_filters_server_side(
    client: TestClient, control: FakeControlPlane, tokens: dict[str, str]
) -> None:
    control.sync("web", "test")
    deadline = time.monotonic() + 5
    while control.get_app("web")["status"]["sync"] != "Synced" and time.monotonic() < deadline:
        time.sleep(0.01)
    sign_in(client, tokens["viewer"])
    html = client.get("/").text
    assert re.search(r'data-app="web".*?data-field="sync">Synced<.*?data-field="health">Healthy<', html, re.S)
    assert re.search(r'data-app="payments".*?data-field="sync">OutOfSync<', html, re.S)
    synced = client.get("/?sync=Synced").text
    assert 'data-app="web"' in synced and 'data-app="payments"' not in synced
    named = client.get("/ui/apps?q=db").text
    assert re.findall(r'data-app="([^"]+)"', named) == ["payments-db"]
    assert "No app matches" in client.get("/?health=Degraded").text


@pytest.mark.parametrize(("role", "buttons"), [("viewer", False), ("operator", True), ("admin", True)])
def test_action_buttons_show_for_operators_and_up(
    client: TestClient, control: FakeControlPlane, tokens: dict[str, str], role: str, buttons: bool
) -> None:
    for _ in range(2):
        control.sync("web", "test")
    deadline = time.monotonic() + 5
    while len(control.history("web")) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    sign_in(client, tokens[role])
    html = client.get("/apps/web").text
    assert ('data-action="sync"' in html) is buttons
    assert ('data-action="rollback"' in html) is buttons
    assert ('data-action="suspend"' in html) is buttons


def test_a_scoped_user_sees_only_their_apps(client: TestClient, store: Store) -> None:
    sign_in(client, store.create_token("pay-viewer", "viewer", apps=["payments"]))
    assert re.findall(r'data-app="([^"]+)"', client.get("/").text) == ["payments"]
    assert client.get("/apps/web").status_code == 404
    assert client.get("/ui/apps/web/graph").status_code == 404


def test_the_app_page_draws_the_graph_and_the_timelines(
    client: TestClient, control: FakeControlPlane, tokens: dict[str, str]
) -> None:
    control.drift("web", "File", "motd")
    sign_in(client, tokens["viewer"])
    html = client.get("/apps/web").text
    assert html.count('class="node ') == 5
    assert 'aria-label="File/motd: Missing"' in html
    assert "<svg" in html and 'class="edge"' in html
    drift = client.get("/ui/apps/web/drift").text
    assert "File/motd" in drift and "drifted" in drift
    control.revert("web")
    assert "reverted" in client.get("/ui/apps/web/drift").text
    assert (
        "File/motd" in client.get("/ui/apps/web/diff").text
        or "In sync" in client.get("/ui/apps/web/diff").text
    )


def test_the_audit_page_lists_entries(client: TestClient, store: Store, tokens: dict[str, str]) -> None:
    store.audit("token:ops", "sync", app="web", revision="a" * 40)
    sign_in(client, tokens["viewer"])
    html = client.get("/audit").text
    assert "token:ops" in html and "aaaaaaaaaaaa" in html and 'href="/apps/web"' in html


def test_static_assets_ship_in_the_package(client: TestClient) -> None:
    for path, kind in [
        ("/static/kedge.css", "text/css"),
        ("/static/kedge.js", "javascript"),
        ("/static/favicon.svg", "image/svg"),
    ]:
        response = client.get(path)
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
