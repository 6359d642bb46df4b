"""A git host that answers one byte at a time (never silent long enough for the silence
timeout) is cut off at the deadline of a whole operation; other apps go on."""

from __future__ import annotations

from tests.controller.conftest import app_spec, file_doc, wait_for
from tests.hardening.hanging import dripping_host
from tests.hardening.helpers import api_client, ready_condition


def test_a_dripping_host_is_cut_off_and_reported(make_controller, repo, root, monkeypatch) -> None:
    monkeypatch.setenv("KEDGE_ALLOW_INSECURE_HTTP", "1")
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    controller = make_controller(git_timeout=2.0, git_deadline=3.0)
    with dripping_host() as host, api_client(controller) as http:
        spec = app_spec(repo.path)
        spec["source"]["repoURL"] = f"{host}/org/slow.git"
        for name, s in (("slow", spec), ("web", app_spec(repo.path))):
            assert http.post("/api/v1/apps", json={"name": name, "spec": s}).status_code in (200, 201)
        condition = ready_condition(http, "slow")
        assert "did not finish within 3s" in condition["message"] or "did not answer" in condition["message"]
        repo.commit({"app.yaml": file_doc("motd", "motd", "v2\n")})
        wait_for(
            lambda: (root / "motd").exists() and (root / "motd").read_text() == "v2\n", message="web goes on"
        )
