"""A change of mode or content is an update in place, never a replace, and an update touches
only what differs from the observation."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kedge.providers.local import LocalClient, provider

from .conftest import dir_target, file_target, observe_one


def test_no_field_forces_a_replace() -> None:
    for spec in provider.kinds.values():
        assert spec.replace_on == frozenset(), spec.kind
        assert spec.identity_field == "path"


def test_mode_change_keeps_the_file_and_its_content(client: LocalClient, root: Path) -> None:
    client.create(file_target("run.sh", "echo hi\n", "0644"))
    before = (root / "run.sh").stat()
    seen = observe_one(client, file_target("run.sh", "echo hi\n", "0644"))

    client.update(file_target("run.sh", "echo hi\n", "0755"), seen, [])

    after = (root / "run.sh").stat()
    assert stat.S_IMODE(after.st_mode) == 0o755
    assert after.st_ino == before.st_ino  # changed in place: chmod, not a rewrite
    assert after.st_mtime_ns == before.st_mtime_ns
    assert (root / "run.sh").read_text() == "echo hi\n"


def test_content_change_rewrites_with_the_desired_mode(client: LocalClient, root: Path) -> None:
    client.create(file_target("a.txt", "one", "0644"))
    seen = observe_one(client, file_target("a.txt", "one", "0644"))
    client.update(file_target("a.txt", "two", "0600"), seen, [])
    assert (root / "a.txt").read_text() == "two"
    assert stat.S_IMODE((root / "a.txt").stat().st_mode) == 0o600


def test_nothing_differs_nothing_is_touched(client: LocalClient, root: Path) -> None:
    target = file_target("same.txt", "same", "0644")
    client.create(target)
    os.utime(root / "same.txt", ns=(1_000_000_000, 1_000_000_000))
    before = (root / "same.txt").stat()
    client.update(target, observe_one(client, target), [])
    after = (root / "same.txt").stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_ctime_ns) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_ctime_ns,
    )


def test_observed_mode_is_spelled_like_the_manifest(client: LocalClient, root: Path) -> None:
    client.create(file_target("m.txt", "x", "644"))
    assert observe_one(client, file_target("m.txt", "x", "644")).state["mode"] == "644"
    assert observe_one(client, file_target("m.txt", "x", "0644")).state["mode"] == "0644"
    assert observe_one(client, file_target("m.txt", "x", "0600")).state["mode"] == "0644"
    assert observe_one(client, file_target("m.txt", "x", None)).state["mode"] == "0644"


def test_directory_mode_change_is_in_place(client: LocalClient, root: Path) -> None:
    client.create(dir_target("d", "0755"))
    (root / "d" / "inside.txt").write_text("kept")
    seen = observe_one(client, dir_target("d", "0755"))
    client.update(dir_target("d", "0711"), seen, [])
    assert stat.S_IMODE((root / "d").stat().st_mode) == 0o711
    assert (root / "d" / "inside.txt").read_text() == "kept"
