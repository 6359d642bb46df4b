"""The bad-input corpus through the REST API of a real server (controller started, git, local
provider).

- A bad source (``POST /api/v1/apps``): a 4xx with a message naming the field, no app stored,
  the audit log unchanged, no command run (the injected ``touch`` never creates its marker).
- Bad manifests, committed to git as an app: the API accepts the app (its spec is fine), and
  the sync fails before anything is applied: the app is Degraded, its history has a failed
  entry whose message names the file, nothing is written, no inventory is recorded, no
  resource is audited, and the good app next to them stays Synced.

No answer, status or message ever holds the canary secret.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.controller.conftest import app_spec, wait_for
from tests.reliability.conftest import GOOD_APP, RealServer
from tests.reliability.corpus import CANARY, CANARY_ENV, MANIFESTS, SOURCES, Source

GIT_MANIFESTS = MANIFESTS  # every case can be committed: symlinks, invalid UTF-8 and 3 MiB files too


@pytest.fixture
def http(real_server: RealServer) -> httpx.Client:
    return httpx.Client(base_url=real_server.url, headers={"Authorization": f"Bearer {real_server.token}"}, timeout=30)


def _declared(http: httpx.Client) -> list[tuple[str, object]]:
    """The apps and their specs (their status moves on with every sweep of the good app)."""
    return [(app["name"], app["spec"]) for app in http.get("/api/v1/apps").json()]


@pytest.mark.parametrize("case", SOURCES, ids=lambda c: c.id)
def test_bad_sources_get_a_4xx_naming_the_field_and_change_nothing(
    case: Source, real_server: RealServer, http: httpx.Client, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    before = (_declared(http), real_server.store.audit_head())
    response = http.post("/api/v1/apps", json=case.body(str(marker)))
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["message"], body
    assert case.field in response.text, body
    assert CANARY not in response.text
    assert (_declared(http), real_server.store.audit_head()) == before
    assert not marker.exists()


def test_bad_manifests_fail_their_sync_and_change_nothing(
    real_server: RealServer, http: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CANARY_ENV, CANARY)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "outside.yaml").write_text(
        "apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: stolen}\nspec: {path: stolen.txt}\n"
    )
    (outside / "secret.txt").write_text(CANARY)
    repo = real_server.repo
    for case in GIT_MANIFESTS:
        directory = repo.path / "cases" / case.id
        directory.mkdir(parents=True)
        for name, data in case.files.items():
            (directory / name).write_bytes(data if isinstance(data, bytes) else data.encode())
        for name, to in case.links.items():
            os.symlink(to.format(outside=outside), directory / name)
    repo.commit({}, "the bad-input corpus")
    names = {}
    for number, case in enumerate(GIT_MANIFESTS):
        names[case.id] = name = f"case-{number}"
        spec = app_spec(repo.path)
        spec["source"]["path"] = f"cases/{case.id}"
        created = http.post("/api/v1/apps", json={"name": name, "spec": spec})
        assert created.status_code == 201, created.text

    for case in GIT_MANIFESTS:
        name = names[case.id]
        if case.git_skips:
            wait_for(lambda name=name: http.get(f"/api/v1/apps/{name}").json()["status"]["sync"] == "Synced",
                     timeout=60, message=f"{case.id}: synced without the link")
            assert [e.key.name for e in real_server.store.inventory(name)] == [case.kept], case.id
            continue
        failed = wait_for(
            lambda name=name: [h for h in http.get(f"/api/v1/apps/{name}/history").json() if h["result"] == "failed"],
            timeout=60,
            message=f"{case.id}: a failed sync",
        )
        view = http.get(f"/api/v1/apps/{name}").json()
        assert view["status"]["health"] == "Degraded", (case.id, view)
        first_file = case.fragments[0].rstrip(":")
        assert first_file in failed[0]["message"], (case.id, failed[0]["message"])
        text = http.get(f"/api/v1/apps/{name}").text + http.get(f"/api/v1/apps/{name}/events").text
        assert CANARY not in text + str(failed), case.id
        assert real_server.store.inventory(name) == [], case.id

    kept = sorted(f"{c.kept}.txt" for c in GIT_MANIFESTS if c.git_skips)
    assert sorted(p.name for p in real_server.root.iterdir()) == ["good", *kept], "nothing else may be written"
    assert http.get(f"/api/v1/apps/{GOOD_APP}").json()["status"]["sync"] == "Synced"
    audited = {
        (e["app"], e["action"]) for e in http.get("/api/v1/audit", params={"limit": 1000}).json()
        if e["app"] in names.values()
    }
    skipped = {names[c.id] for c in GIT_MANIFESTS if c.git_skips}
    assert {action for app, action in audited if app not in skipped} <= {"app-created", "sync-failed"}, audited
    assert http.get("/api/v1/audit/verify").json()["ok"] is True
