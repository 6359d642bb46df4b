"""Local repositories and ``file://`` URLs are off unless the server lists their directory in
``spec.localSources``: for the API, for apps declared in git by an app of apps, and a child
removed from git goes with its parent's prune policy."""

from __future__ import annotations

import socket

import httpx

from kedge.cli.server import Server, read_config
from kedge.sources import LocalSources
from tests.controller.conftest import GitRepo, app_spec, file_doc, wait_for
from tests.hardening.helpers import api_client


def child_doc(name: str, url: str, path: str = ".") -> str:
    return (
        f"apiVersion: kedge.dev/v1\nkind: Application\nmetadata: {{name: {name}}}\n"
        f"spec:\n  source: {{repoURL: '{url}', targetRevision: main, path: '{path}'}}\n"
        "  syncPolicy: {automated: true}\n---\n"
    )


def test_the_api_refuses_a_local_source_outside_the_allowed_directories(
    make_controller, repo, tmp_path
) -> None:
    repo.commit({"app.yaml": file_doc("motd", "motd", "v1\n")})
    controller = make_controller(local_sources=LocalSources.under([tmp_path / "allowed"]))
    with api_client(controller) as http:
        token = http.post("/api/v1/tokens", json={"name": "pay", "role": "admin", "apps": ["pay-*"]}).json()
        scoped = {"Authorization": f"Bearer {token['token']}"}
        answers = {}
        for url in (str(repo.path), f"file://{repo.path}", "/etc", str(tmp_path / "no-such-dir")):
            spec = app_spec(repo.path)
            spec["source"]["repoURL"] = url
            answer = http.post("/api/v1/apps", json={"name": "pay-x", "spec": spec}, headers=scoped)
            assert answer.status_code == 422, answer.text
            answers[url] = answer.json()["message"]
        assert len(set(answers.values())) == 1  # nothing told about what exists on the server
        assert "spec.localSources" in answers["/etc"]
        assert http.get("/api/v1/apps").json() == []


def test_children_declared_in_git_point_only_where_allowed_and_go_with_the_parent(
    make_controller, tmp_path, root
) -> None:
    allowed = tmp_path / "allowed"
    parent = GitRepo(allowed / "parent")
    child = GitRepo(allowed / "child")
    child.commit({"app.yaml": file_doc("motd", "motd", "child\n")})
    secrets = tmp_path / "server-secrets"
    secrets.mkdir()
    (secrets / "x.yaml").write_text(file_doc("stolen", "stolen", "server file\n"))
    parent.commit(
        {"apps.yaml": child_doc("good-child", str(child.path)) + child_doc("evil-child", str(secrets))}
    )
    controller = make_controller(local_sources=LocalSources.under([allowed]))
    with api_client(controller) as http:
        spec = app_spec(parent.path, prune=True)
        assert http.post("/api/v1/apps", json={"name": "parent", "spec": spec}).status_code in (200, 201)
        wait_for(lambda: (root / "motd").exists(), message="the allowed child synced")
        events = wait_for(
            lambda: [
                e for e in http.get("/api/v1/apps/parent/events").json() if e["type"] == "child-refused"
            ],
            message="the refused child reported on its parent",
        )
        assert "evil-child" in str(events[0]) and "spec.localSources" in str(events[0])
        names = {a["name"] for a in http.get("/api/v1/apps").json()}
        assert names == {"parent", "good-child"}
        assert not (root / "stolen").exists()

        parent.commit({"apps.yaml": "# no children any more\n"})
        wait_for(
            lambda: {a["name"] for a in http.get("/api/v1/apps").json()} == {"parent"},
            message="the child removed from git is pruned with the parent's policy",
        )


def test_a_parent_that_does_not_prune_keeps_a_removed_child(make_controller, tmp_path, root) -> None:
    parent = GitRepo(tmp_path / "parent")
    child = GitRepo(tmp_path / "child")
    child.commit({"app.yaml": file_doc("motd", "motd", "child\n")})
    parent.commit({"apps.yaml": child_doc("kept-child", str(child.path))})
    controller = make_controller()
    with api_client(controller) as http:
        assert http.post(
            "/api/v1/apps", json={"name": "parent", "spec": app_spec(parent.path)}
        ).status_code in (
            200,
            201,
        )
        wait_for(lambda: (root / "motd").exists(), message="the child synced")
        second = parent.commit({"apps.yaml": "# no children any more\n"})
        wait_for(
            lambda: http.get("/api/v1/apps/parent").json()["status"]["lastAttemptedRevision"] == second,
            message="the parent saw the commit",
        )
        assert {a["name"] for a in http.get("/api/v1/apps").json()} == {"parent", "kept-child"}


def test_apps_of_the_server_configuration_follow_the_same_rule(tmp_path, root) -> None:
    allowed = GitRepo(tmp_path / "allowed" / "repo")
    allowed.commit({"app.yaml": file_doc("motd", "motd", "ok\n")})
    elsewhere = GitRepo(tmp_path / "elsewhere")
    elsewhere.commit({"app.yaml": file_doc("other", "other", "no\n")})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "server.yaml"
    apps = "".join(
        f"---\napiVersion: kedge.dev/v1\nkind: Application\nmetadata: {{name: {name}}}\n"
        f"spec: {{source: {{repoURL: '{repo.path}', targetRevision: main}}, syncPolicy: {{automated: true}}}}\n"
        for name, repo in (("inside", allowed), ("outside", elsewhere))
    )
    config.write_text(
        "apiVersion: kedge.dev/v1\nkind: ServerConfig\nmetadata: {name: server}\n"
        f'spec: {{db: "{tmp_path / "state.db"}", adminToken: admin-token-0123456789abcdef, localSources: [allowed]}}\n'
        "---\napiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f'spec: {{provider: local, settings: {{root: "{root}"}}}}\n' + apps
    )
    settings = read_config(config)
    settings.port = port
    server = Server.build(settings, cache_dir=tmp_path / "git")
    server.start()
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": "Bearer admin-token-0123456789abcdef"},
        ) as http:
            wait_for(lambda: (root / "motd").exists(), message="the app under spec.localSources syncs")
            status = wait_for(
                lambda: (s := http.get("/api/v1/apps/outside").json()["status"])["conditions"] and s,
                message="the other app's condition",
            )
            ready = next(c for c in status["conditions"] if c["type"] == "Ready")
            assert ready["reason"] == "SourceInvalid" and "spec.localSources" in ready["message"]
        assert not (root / "other").exists()
    finally:
        server.stop()
