"""A file Kedge may not read is an error, never "missing": reading it as gone would make the
planner create it again (or forget it), which is exactly what DESIGN section 2 forbids."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kedge.providers.base import ConnectContext
from kedge.providers.local import provider

from .conftest import APP, as_unprivileged, dir_target, file_target


@pytest.fixture
def shared_root() -> Iterator[Path]:
    # Not under pytest's tmp_path: its parents are private to root, and the unprivileged
    # child must be able to reach the root.
    base = Path(tempfile.mkdtemp(prefix="kedge-perm-"))
    os.chmod(base, 0o755)
    root = base / "root"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    (root / "locked").mkdir()
    (root / "locked" / "inside.txt").write_text("hidden")
    os.chmod(root / "locked", 0o700 if os.geteuid() == 0 else 0o000)
    (root / "unreadable.txt").write_text("hidden")
    os.chmod(root / "unreadable.txt", 0o600 if os.geteuid() == 0 else 0o000)
    yield root
    os.chmod(root / "locked", 0o700)
    shutil.rmtree(base)


CASES = [
    ("unreadable.txt", "File", "the file itself cannot be opened"),
    ("locked/inside.txt", "File", "a parent directory cannot be entered"),
    ("locked/missing.txt", "File", "even a file that may well be absent: nobody can tell"),
    ("locked/sub", "Directory", "a directory below a locked one"),
]


@pytest.mark.parametrize(("path", "kind", "reason"), CASES, ids=[c[2] for c in CASES])
def test_permission_denied_on_observe_is_an_error(
    shared_root: Path, path: str, kind: str, reason: str
) -> None:
    target = file_target(path) if kind == "File" else dir_target(path)

    def observe() -> object:
        client = provider.connect({"root": str(shared_root)}, ConnectContext(app=APP))
        return client.observe_many(kind, [target])[target.key]

    error, message = as_unprivileged(observe)
    assert error == "ProviderError", f"{reason}: got {error} {message}"
    assert "permission denied" in message
    assert repr(path.split("/")[0]) in message or repr(path) in message


def test_permission_denied_on_create_is_an_error(shared_root: Path) -> None:
    def create() -> object:
        client = provider.connect({"root": str(shared_root)}, ConnectContext(app=APP))
        return client.create(file_target("locked/new.txt", "x"))

    error, message = as_unprivileged(create)
    assert error == "ProviderError"
    assert "permission denied" in message
    os.chmod(shared_root / "locked", 0o700)
    assert sorted(os.listdir(shared_root / "locked")) == ["inside.txt"]
