"""In the controller, adopting an object that already matches records ownership (a record-only
change is applied like any other): a second app that tries to adopt it gets a Conflict."""

from __future__ import annotations

import json

from tests.controller.conftest import GitRepo, app_spec, wait_for

ADOPTED = (
    "apiVersion: local.kedge.dev/v1\nkind: File\n"
    'metadata: {name: NAME, annotations: {kedge.dev/adopt: "true"}}\n'
    f"spec: {{path: motd, content: {json.dumps('hello' + chr(10))}}}\n"
)


def test_second_app_cannot_adopt_what_the_first_adopted(make_controller, repo, root, tmp_path) -> None:
    (root / "motd").write_text("hello\n")
    repo.commit({"app.yaml": ADOPTED.replace("NAME", "motd")})
    controller = make_controller()
    controller.create_app("one", app_spec(repo.path), actor="t")
    wait_for(lambda: controller.get_app("one")["status"]["sync"] == "Synced", message="one synced")
    assert [h["result"] for h in controller.history("one")][:1] == ["succeeded"]

    other = GitRepo(tmp_path / "other-repo")
    other.commit({"app.yaml": ADOPTED.replace("NAME", "greeting")})
    controller.create_app("two", app_spec(other.path), actor="t")
    view = wait_for(
        lambda: (v := controller.get_app("two"))["status"]["health"] == "Degraded" and v, message="conflict"
    )
    ready = next(c for c in view["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "Conflict" and "'one'" in ready["message"]
