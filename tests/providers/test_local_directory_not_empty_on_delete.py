"""Deleting a Directory that still holds files fails with advice and deletes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kedge.model import ProviderError
from kedge.providers.local import LocalClient

from .conftest import dir_target, file_target, observe_one


def test_non_empty_directory_is_not_deleted(client: LocalClient, root: Path) -> None:
    target = dir_target("data")
    client.create(target)
    client.create(file_target("data/keep.txt", "mine"))

    with pytest.raises(ProviderError) as raised:
        client.delete(target, observe_one(client, target))

    message = str(raised.value)
    assert "directory not empty" in message
    assert "remove its files from the app first or set deletion-policy Orphan" in message
    assert "Directory/d" in message
    assert not raised.value.temporary
    assert (root / "data" / "keep.txt").read_text() == "mine"


def test_emptied_directory_is_deleted(client: LocalClient, root: Path) -> None:
    target = dir_target("data")
    client.create(target)
    inner = file_target("data/keep.txt", "mine")
    client.create(inner)
    client.delete(inner, observe_one(client, inner))
    client.delete(target, observe_one(client, target))
    assert not (root / "data").exists()


def test_deleting_a_file_declared_as_directory_is_refused(client: LocalClient, root: Path) -> None:
    (root / "plain").write_text("x")
    with pytest.raises(ProviderError, match="not a directory"):
        client.delete(dir_target("plain"), observe_one(client, file_target("plain")))
    assert (root / "plain").exists()
