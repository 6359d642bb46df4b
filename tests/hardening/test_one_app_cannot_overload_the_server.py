"""An app of more manifest files than the limit is refused with a clear condition, without
reading them, and the API keeps answering while such an app (or its diff) is being handled."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pygit2

from kedge.sources.snapshot import MAX_FILES
from tests.controller.conftest import app_spec, file_doc, wait_for
from tests.hardening.helpers import api_client, ready_condition


def commit_many(repo, count: int) -> str:
    """One commit of ``count`` tiny manifests, built in the object database (no checkout)."""
    odb = repo.repo
    builder = odb.TreeBuilder()
    for i in range(count):
        blob = odb.create_blob(file_doc(f"f{i}", f"f{i}", "x").encode())
        builder.insert(f"m{i:05d}.yaml", blob, pygit2.enums.FileMode.BLOB)
    tree = builder.write()
    return str(odb.create_commit("refs/heads/main", repo.sig, repo.sig, "many", tree, []))


def test_an_app_over_the_file_limit_is_refused_and_the_api_answers(make_controller, repo, root) -> None:
    commit_many(repo, MAX_FILES + 1)
    controller = make_controller()
    with api_client(controller) as http:
        assert http.post("/api/v1/apps", json={"name": "huge", "spec": app_spec(repo.path)}).status_code in (
            200,
            201,
        )
        condition = ready_condition(http, "huge", reason="SourceInvalid")
        assert f"more than {MAX_FILES} manifest files" in condition["message"]
        assert "split it" in condition["message"]
        started = time.monotonic()
        diff = http.get("/api/v1/apps/huge/diff")
        assert diff.status_code == 422 and f"more than {MAX_FILES}" in diff.json()["message"]
        assert http.get("/api/v1/apps").status_code == 200
        assert time.monotonic() - started < 5
        assert not any(root.iterdir())


def test_a_diff_already_running_is_not_started_again(make_controller, repo, monkeypatch) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    controller = make_controller()
    entered, release = threading.Event(), threading.Event()
    real = controller._plan_fetched

    def slow(name, spec):  # a render that takes long: the test decides when it ends
        entered.set()
        release.wait(10)
        return real(name, spec)

    monkeypatch.setattr(controller, "_plan_fetched", slow)
    with api_client(controller) as http:
        assert http.post("/api/v1/apps", json={"name": "web", "spec": app_spec(repo.path)}).status_code in (
            200,
            201,
        )
        pool = ThreadPoolExecutor(1)
        first = pool.submit(http.get, "/api/v1/apps/web/diff")
        assert entered.wait(10)
        second = http.get("/api/v1/apps/web/diff")
        assert second.status_code == 503 and "already being computed" in second.json()["message"]
        assert second.headers["Retry-After"] == "2"
        assert http.get("/api/v1/apps/web").status_code == 200
        release.set()
        assert first.result(10).status_code == 200
        wait_for(lambda: http.get("/api/v1/apps/web/diff").status_code == 200)


def test_a_diff_of_a_branch_that_stands_still_renders_nothing_again(make_controller, repo, root) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    controller = make_controller()
    with api_client(controller) as http:
        assert http.post("/api/v1/apps", json={"name": "web", "spec": app_spec(repo.path)}).status_code in (
            200,
            201,
        )
        wait_for(lambda: http.get("/api/v1/apps/web").json()["status"]["sync"] == "Synced")
        stats = controller.sources.git.source(str(repo.path)).stats
        before = stats.snapshots
        for _ in range(3):
            assert http.get("/api/v1/apps/web/diff").status_code == 200
        assert stats.snapshots == before
        repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")})
        changes = http.get("/api/v1/apps/web/diff").json()["changes"]
        assert [c["action"] for c in changes if c["name"] == "motd"] == ["update"]  # read afresh
