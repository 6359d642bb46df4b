"""Files are replaced whole: a temporary file in the same directory gets the content and the mode
first, then takes the old file's place. No temporary file is left behind, success or failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kedge.model import ProviderError
from kedge.providers.base import ConnectContext
from kedge.providers.local import LocalClient, provider

from .conftest import APP, file_target, observe_one, xattrs_supported


def _all_entries(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_no_temporary_files_are_left(client: LocalClient, root: Path) -> None:
    for i in range(20):
        client.create(file_target(f"dir/f{i}.txt", f"v{i}", "0600", name=f"f{i}"))
    target = file_target("dir/f0.txt", "changed", "0600", name="f0")
    client.update(target, observe_one(client, target), [])
    assert _all_entries(root) == ["dir"] + sorted(f"dir/f{i}.txt" for i in range(20))


def test_replace_is_a_new_file_not_a_rewrite(client: LocalClient, root: Path) -> None:
    target = file_target("app.conf", "old\n" * 1000)
    client.create(target)
    with open(root / "app.conf") as reader:  # a reader that opened the old file ...
        client.update(file_target("app.conf", "new\n"), observe_one(client, target), [])
        assert reader.read() == "old\n" * 1000  # ... keeps seeing the old file whole
    assert (root / "app.conf").read_text() == "new\n"


def test_content_and_mode_are_in_place_when_the_file_appears(client: LocalClient, root: Path) -> None:
    client.create(file_target("key.pem", "-----BEGIN-----\n", "0400"))
    st = (root / "key.pem").stat()
    assert stat.S_IMODE(st.st_mode) == 0o400
    assert (root / "key.pem").read_text() == "-----BEGIN-----\n"


def test_setuid_and_sticky_bits_are_kept(client: LocalClient, root: Path) -> None:
    client.create(file_target("tool", "#!/bin/sh\n", "4755"))
    assert stat.S_IMODE((root / "tool").stat().st_mode) == 0o4755
    assert observe_one(client, file_target("tool", mode="4755")).state["mode"] == "4755"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(root: Path) -> None:
    # An owner mark far larger than any filesystem stores as an extended attribute makes the
    # write fail after the temporary file exists: it must be removed and the old file kept.
    if not xattrs_supported(root):
        pytest.skip("the filesystem of the temporary directory has no extended attributes")
    (root / "keep.txt").write_text("original")
    client = provider.connect({"root": str(root)}, ConnectContext(app="a" * 200_000))
    with pytest.raises(ProviderError, match="cannot write 'keep.txt'"):
        client.create(file_target("keep.txt", "new"))
    assert _all_entries(root) == ["keep.txt"]
    assert (root / "keep.txt").read_text() == "original"


def test_a_name_too_long_is_an_error_not_a_partial_write(client: LocalClient, root: Path) -> None:
    with pytest.raises(ProviderError):
        client.create(file_target("x" * 300, "new"))
    assert _all_entries(root) == []


def test_fsync_setting_writes_the_same_result(root: Path) -> None:
    client = provider.connect({"root": str(root), "fsync": True}, ConnectContext(app=APP))
    target = file_target("synced.txt", "durable", "0644")
    client.create(target)
    client.delete(target, observe_one(client, target))
    client.create(target)
    assert (root / "synced.txt").read_text() == "durable"
    assert os.listdir(root) == ["synced.txt"]
