"""The poller survives what one app's source does, reports it for that app, and ``/readyz``
fails once a background loop is dead."""

from __future__ import annotations

import os

import pytest

from kedge.controller.fetch import Sources
from tests.controller.conftest import app_spec, file_doc, wait_for
from tests.hardening.helpers import api_client


def test_a_dangling_symlink_in_a_directory_source_does_not_stop_polling(
    make_controller, repo, root, tmp_path
) -> None:
    directory = tmp_path / "dir-source"
    directory.mkdir()
    (directory / "ok.yaml").write_text(file_doc("dirfile", "dirfile", "d\n"))
    os.symlink(tmp_path / "gone.yaml", directory / "dangling.yaml")
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    controller = make_controller()
    with api_client(controller) as http:
        spec = app_spec(repo.path)
        spec["source"]["pollInterval"] = "1s"
        for name, s in (("dir", app_spec(directory)), ("web", spec)):
            assert http.post("/api/v1/apps", json={"name": name, "spec": s}).status_code in (200, 201)
        wait_for(lambda: (root / "motd").exists(), message="first sync")
        wait_for(lambda: http.get("/api/v1/apps/dir").json()["status"]["conditions"], message="dir status")
        repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")})
        wait_for(lambda: (root / "motd").read_text() == "v2\n", message="a commit seen by polling")
        assert http.get("/readyz").status_code == 200


def test_an_unexpected_poll_error_is_reported_for_its_app_only(
    make_controller, repo, root, monkeypatch
) -> None:
    real_head = Sources.head

    def head(self, spec, **kw):  # a bug in reading one app's source
        if "broken" in spec.repo_url:
            raise RuntimeError("unexpected failure while reading the source")
        return real_head(self, spec, **kw)

    monkeypatch.setattr(Sources, "head", head)
    broken = repo.path.parent / "broken"
    broken.mkdir()
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    controller = make_controller()
    with api_client(controller) as http:
        for name, path in (("broken", broken), ("web", repo.path)):
            assert http.post("/api/v1/apps", json={"name": name, "spec": app_spec(path)}).status_code in (
                200,
                201,
            )
        wait_for(lambda: (root / "motd").exists(), message="first sync")
        events = wait_for(
            lambda: [e for e in http.get("/api/v1/apps/broken/events").json() if e["type"] == "poll-failed"],
            message="a poll-failed event of the broken app",
        )
        assert "RuntimeError" in str(events[0]) and len(events) == 1
        assert not [e for e in http.get("/api/v1/apps/web/events").json() if e["type"] == "poll-failed"]
        repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")})
        wait_for(lambda: (root / "motd").read_text() == "v2\n", message="polling goes on")
        assert http.get("/readyz").status_code == 200


def test_an_unexpected_reconcile_error_is_reported_for_its_app(make_controller, repo, root, tmp_path) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    other = tmp_path / "other"
    other.mkdir()
    (other / "app.yaml").write_text(file_doc("other", "other", "o\n"))
    controller = make_controller()
    real = controller.reconciler.reconcile

    def reconcile(name, reasons, op=None):  # a bug met by one app's reconcile
        if name == "broken":
            raise KeyError("a bug")
        return real(name, reasons, op)

    controller.reconciler.reconcile = reconcile  # type: ignore[method-assign]
    with api_client(controller) as http:
        for name, path in (("broken", other), ("web", repo.path)):
            assert http.post("/api/v1/apps", json={"name": name, "spec": app_spec(path)}).status_code in (
                200,
                201,
            )
        wait_for(lambda: (root / "motd").exists(), message="the other app syncs")
        events = wait_for(
            lambda: [
                e for e in http.get("/api/v1/apps/broken/events").json() if e["type"] == "reconcile-failed"
            ],
            message="a reconcile-failed event",
        )
        assert "KeyError" in str(events[0])
        assert http.get("/readyz").status_code == 200


class LoopKilled(BaseException):
    """What no loop can catch: the thread ends."""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_readyz_fails_when_a_loop_is_dead(make_controller) -> None:
    controller = make_controller()
    with api_client(controller) as http:
        assert http.get("/readyz").status_code == 200

        def die() -> None:
            raise LoopKilled

        controller.poller.tick = die  # type: ignore[method-assign]
        wait_for(lambda: http.get("/readyz").status_code == 503, message="readyz fails")
