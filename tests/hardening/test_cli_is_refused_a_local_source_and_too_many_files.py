"""The CLI user meets the same limits: ``kedge app create`` with a local path the server does not
allow exits 1 with the server's reason, and a one-shot command on a directory of more manifest
files than an app may hold exits 1 naming the limit."""

from __future__ import annotations

from pathlib import Path

from kedge.cli import client as cli_client
from kedge.cli import main as cli_main
from kedge.manifests.files import MAX_FILES
from kedge.sources import LocalSources
from tests.conftest import KedgeRun
from tests.controller.conftest import file_doc
from tests.hardening.helpers import ADMIN, api_client

if not any(group.name == "app" for group in cli_main.app.registered_groups):
    cli_client.register(cli_main.app, cli_main.handle_errors)


def test_app_create_with_a_local_path_is_refused(kedge: KedgeRun, make_controller, tmp_path: Path) -> None:
    controller = make_controller(local_sources=LocalSources())
    with api_client(controller) as http:
        env = {"KEDGE_SERVER": str(http.base_url).rstrip("/"), "KEDGE_TOKEN": ADMIN}
        made = kedge("app", "create", "pay-x", "--repo", "/etc", "--path", ".", env=env)
        assert made.exit_code == 1, made
        assert "spec.localSources" in made.stderr
        assert "Traceback" not in made.stderr
        assert http.get("/api/v1/apps").json() == []


def test_one_shot_on_too_many_files_names_the_limit(kedge: KedgeRun, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    for i in range(MAX_FILES + 1):
        (app / f"m{i:05d}.yaml").write_text(file_doc(f"f{i}", f"f{i}", "x"))
    result = kedge("validate", str(app))
    assert result.exit_code == 1, result
    assert f"one app may hold at most {MAX_FILES}" in result.stderr
