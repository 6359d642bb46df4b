"""The owning app is written into the user.kedge.app extended attribute, so ownership survives
the loss of Kedge's own database; observe reads it back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kedge.providers.base import ConnectContext
from kedge.providers.local import LocalClient, provider

from .conftest import APP, dir_target, file_target, observe_one, xattrs_supported


@pytest.fixture(autouse=True)
def _needs_xattrs(root: Path) -> None:
    if not xattrs_supported(root):
        pytest.skip("the filesystem of the temporary directory has no extended attributes")


def test_create_marks_files_and_directories(client: LocalClient, root: Path) -> None:
    client.create(file_target("f.txt", "x"))
    client.create(dir_target("d"))
    assert os.getxattr(root / "f.txt", "user.kedge.app") == APP.encode()
    assert os.getxattr(root / "d", "user.kedge.app") == APP.encode()
    assert observe_one(client, file_target("f.txt")).owner == APP
    assert observe_one(client, dir_target("d")).owner == APP


def test_unmarked_file_has_no_owner(client: LocalClient, root: Path) -> None:
    (root / "theirs.txt").write_text("x")
    assert observe_one(client, file_target("theirs.txt")).owner is None


def test_update_moves_the_mark_to_the_adopting_app(root: Path) -> None:
    first = provider.connect({"root": str(root)}, ConnectContext(app="first"))
    second = provider.connect({"root": str(root)}, ConnectContext(app="second"))
    target = file_target("shared.txt", "same")
    first.create(target)
    seen = observe_one(second, target)
    assert seen.owner == "first"

    second.update(target, seen, [])
    assert observe_one(second, target).owner == "second"
    assert (root / "shared.txt").read_text() == "same"


def test_mark_survives_a_content_rewrite(client: LocalClient, root: Path) -> None:
    client.create(file_target("f.txt", "one"))
    client.update(file_target("f.txt", "two"), observe_one(client, file_target("f.txt")), [])
    assert os.getxattr(root / "f.txt", "user.kedge.app") == APP.encode()
