"""The bad-input corpus through the command line: every case exits 1 with a placed message and no
traceback, writes nothing, records nothing (no inventory, no audit entry), never prints the
canary secret, and leaves another app in the same state store as it was.

Manifest cases go through ``kedge apply DIR --auto-approve``; source cases through
``kedge app create`` against a real server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kedge.cli import client as cli_client
from kedge.cli import main as cli_main
from kedge.store import Store
from tests.conftest import KedgeRun, write
from tests.reliability.conftest import GOOD_APP, GOOD_MANIFEST, RealServer
from tests.reliability.corpus import CANARY, CANARY_ENV, GOOD_FILE, MANIFESTS, SOURCES, Manifests, Source

if not any(group.name == "app" for group in cli_main.app.registered_groups):
    cli_client.register(cli_main.app, cli_main.handle_errors)


def provider(root: Path) -> str:
    return (
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f"spec: {{provider: local, settings: {{root: '{root}'}}}}\n"
    )


def lay_out(app: Path, case: Manifests, outside: Path) -> None:
    """Write ``case`` into ``app`` (files and symlinks)."""
    for name, body in case.files.items():
        target = app / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            target.write_bytes(body)
        else:
            target.write_text(body)
    for name, to in case.links.items():
        os.symlink(to.format(outside=outside), app / name)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """What lies beyond the app: a manifest, a secret file holding the canary."""
    path = tmp_path / "outside"
    write(path / "outside.yaml", GOOD_FILE.replace("ok", "stolen"))
    write(path / "secret.txt", CANARY)
    return path


@pytest.fixture
def shared(tmp_path: Path, kedge: KedgeRun) -> Iterator[tuple[str, Path]]:
    """A state store holding one good, applied app; yields (db, its root)."""
    db = str(tmp_path / "state.db")
    good, root = tmp_path / "good", tmp_path / "good-files"
    root.mkdir()
    write(good / "provider.yaml", provider(root))
    write(good / "resources.yaml", GOOD_MANIFEST)
    applied = kedge("apply", good, "--auto-approve", "--db", db, "--app", "good")
    assert applied.exit_code == 0, applied
    yield db, root
    planned = kedge("plan", good, "--db", db, "--app", "good", "--detailed-exitcode")
    assert planned.exit_code == 0, f"the good app was disturbed: {planned}"
    assert (root / "good" / "one.txt").read_text() == "one"


@pytest.mark.parametrize("case", MANIFESTS, ids=lambda c: c.id)
def test_bad_manifests_are_refused_by_apply_and_change_nothing(
    case: Manifests, kedge: KedgeRun, shared: tuple[str, Path], outside: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, _ = shared
    monkeypatch.setenv(CANARY_ENV, CANARY)
    app, root = tmp_path / "bad", tmp_path / "bad-files"
    root.mkdir()
    lay_out(app, case, outside)
    write(app / "provider.yaml", provider(root))
    with Store.open(db) as store:
        audit_before = store.audit_head()
    result = kedge("apply", app, "--auto-approve", "--db", db, "--app", "bad")
    assert result.exit_code == 1, result
    assert "Traceback" not in result.output
    assert CANARY not in result.output
    for fragment in case.fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert list(root.iterdir()) == [], "nothing may be written"
    with Store.open(db) as store:
        assert store.inventory("bad") == []
        assert store.audit_head() == audit_before
        assert [e.key.name for e in store.inventory("good")] == ["good-one"]


@pytest.mark.parametrize("case", SOURCES, ids=lambda c: c.id)
def test_bad_sources_are_refused_by_app_create(
    case: Source, kedge: KedgeRun, real_server: RealServer, tmp_path: Path
) -> None:
    store = real_server.store
    marker = tmp_path / "pwned"
    env = {"KEDGE_SERVER": real_server.url, "KEDGE_TOKEN": real_server.token}
    before = (_declared(kedge, env), store.audit_head())
    result = kedge(
        "app", "create", case.name, "--repo", case.repo.format(marker=marker), "--revision",
        case.revision.format(marker=marker), "--path", case.path, env=env,
    )
    assert result.exit_code == 1, result
    assert "Traceback" not in result.output
    assert CANARY not in result.output
    assert case.field in result.stderr, result
    assert (_declared(kedge, env), store.audit_head()) == before
    assert not marker.exists()
    assert real_server.controller.get_app(GOOD_APP)["status"]["sync"] == "Synced"


def _declared(kedge: KedgeRun, env: dict[str, str]) -> list[tuple[str, object]]:
    """The apps and their specs (their status moves on with every sweep of the good app)."""
    listed = json.loads(kedge("app", "list", "-o", "json", env=env).stdout)
    return [(app["name"], app["spec"]) for app in listed]
