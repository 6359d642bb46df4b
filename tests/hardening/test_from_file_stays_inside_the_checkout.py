"""A commit cannot make the server copy its own files into a managed target through ``fromFile``.

An absolute path, a ``..`` out of the checkout and a symlink out of it are refused with one
message, whether the outside path exists or not; a file beside the manifests is read, also in
server mode (where only the app's files are materialised from git).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.controller.conftest import app_spec, wait_for
from tests.hardening.helpers import api_client, ready_condition

CANARY = "server-private-canary-6b1e0c"


def content_doc(source: str) -> str:
    return (
        "apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: loot}\n"
        f"spec: {{path: loot.txt, content: {{fromFile: '{source}'}}}}\n"
    )


def outside_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "server-secrets" / "age.key"
    secret.parent.mkdir()
    secret.write_text(CANARY + "\n")
    return secret


def refusal(http, name: str) -> str:
    message = str(ready_condition(http, name)["message"])
    assert CANARY not in message
    return message


def test_paths_out_of_the_checkout_are_refused_alike(make_controller, repo, root, tmp_path) -> None:
    secret = outside_secret(tmp_path)
    depth = len(repo.path.resolve().parts)
    attacks = {
        "absolute": str(secret),
        "dotdot": "../" * depth + str(secret).lstrip("/"),
        "missing": str(tmp_path / "server-secrets" / "no-such.key"),
    }
    controller = make_controller()
    with api_client(controller) as http:
        messages = {}
        for name, source in attacks.items():
            repo.commit({"app.yaml": content_doc(source)}, message=name)
            spec = app_spec(repo.path)
            created = http.post("/api/v1/apps", json={"name": name, "spec": spec})
            assert created.status_code in (200, 201), created.text
            message = refusal(http, name)
            messages[name] = message.replace(repr(source), "PATH")
            assert "refused" in message and "inside the app's source" in message
            http.delete(f"/api/v1/apps/{name}")
        # An existing and a missing outside path read the same: nothing is learnt about the server.
        assert messages["absolute"] == messages["missing"] == messages["dotdot"]
    assert not (root / "loot.txt").exists()


def test_a_symlink_out_of_a_directory_source_is_refused(make_controller, root, tmp_path) -> None:
    secret = outside_secret(tmp_path)
    source = tmp_path / "dir-source"
    source.mkdir()
    (source / "app.yaml").write_text(content_doc("innocent.txt"))
    os.symlink(secret, source / "innocent.txt")
    controller = make_controller()
    with api_client(controller) as http:
        spec = app_spec(source)
        assert http.post("/api/v1/apps", json={"name": "linked", "spec": spec}).status_code in (200, 201)
        assert "inside the app's source" in refusal(http, "linked")
    assert not (root / "loot.txt").exists()


def test_a_file_beside_the_manifests_is_read_in_server_mode(make_controller, repo, root) -> None:
    repo.commit({"app/app.yaml": content_doc("certs/ca.pem"), "app/certs/ca.pem": "-----CA-----\n"})
    controller = make_controller()
    with api_client(controller) as http:
        spec = app_spec(repo.path)
        spec["source"]["path"] = "app"
        assert http.post("/api/v1/apps", json={"name": "certs", "spec": spec}).status_code in (200, 201)
        wait_for(lambda: (root / "loot.txt").exists(), message="the file from fromFile")
    assert (root / "loot.txt").read_text() == "-----CA-----"
