"""Apps whose repository host accepts connections and never answers delay no other app.

Five apps point at such a host. A healthy app's next commit is still applied within seconds of
being pushed, and its drift is still reverted; the hanging apps say their source is unreachable.
Git's timeout is set to 2 s: before polls ran in parallel (a few per host), one poll round
took at least 5 x 2 s, and a commit of the healthy app waited for it.
"""

from __future__ import annotations

import time

from tests.controller.conftest import app_spec, file_doc, wait_for
from tests.hardening.hanging import hanging_host
from tests.hardening.helpers import api_client, ready_condition

GIT_TIMEOUT = 2.0


def test_a_hanging_host_delays_only_its_own_apps(make_controller, repo, root, monkeypatch) -> None:
    monkeypatch.setenv("KEDGE_ALLOW_INSECURE_HTTP", "1")
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    controller = make_controller(git_timeout=GIT_TIMEOUT)
    with hanging_host() as host, api_client(controller) as http:
        for i in range(5):
            spec = app_spec(repo.path)
            spec["source"]["repoURL"] = f"{host}/org/stuck-{i}.git"
            created = http.post("/api/v1/apps", json={"name": f"stuck-{i}", "spec": spec})
            assert created.status_code in (200, 201), created.text
        assert http.post("/api/v1/apps", json={"name": "web", "spec": app_spec(repo.path)}).status_code in (
            200,
            201,
        )
        wait_for(lambda: (root / "motd").exists(), timeout=15, message="the healthy app's first sync")
        # Let the hanging apps' polls and reconciles pile up before the healthy app's next commit.
        time.sleep(GIT_TIMEOUT)
        repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")})
        pushed = time.monotonic()
        wait_for(lambda: (root / "motd").read_text() == "v2\n", timeout=15, message="the new commit")
        assert time.monotonic() - pushed < 2 * GIT_TIMEOUT + 1.0

        (root / "motd").write_text("tampered\n")
        healed = time.monotonic()
        wait_for(lambda: (root / "motd").read_text() == "v2\n", timeout=15, message="self-heal")
        assert time.monotonic() - healed < 2 * GIT_TIMEOUT

        stuck = ready_condition(http, "stuck-0")
        assert "127.0.0.1" in stuck["message"]
        assert http.get("/readyz").status_code == 200
