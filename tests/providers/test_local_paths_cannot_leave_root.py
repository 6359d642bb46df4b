"""Paths stay under the root: text that could leave it is refused, and so is any symbolic link
below the root, whether it points outside or inside, and whenever it appears."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kedge.model import ConfigError, Observation
from kedge.providers.base import ConnectContext
from kedge.providers.local import LocalClient, provider

from .conftest import dir_target, file_target, observe_one

BAD_PATHS = [
    # (path, what the message must say, reason)
    ("/etc/passwd", "is absolute", "absolute paths name a place outside the root"),
    ("../outside.txt", "contains '..'", "a parent step leaves the root"),
    ("a/../../outside.txt", "contains '..'", "a parent step in the middle leaves the root too"),
    ("a/..", "contains '..'", "a trailing parent step"),
    ("", "is empty", "an empty path names the root itself"),
    ("a\0b", "NUL byte", "NUL ends the path early in the system call"),
    ("./a.txt", "write 'a.txt'", "'.' gives one file two names"),
    ("a//b.txt", "write 'a/b.txt'", "an empty component gives one file two names"),
    ("a/", "write 'a'", "a trailing slash gives one file two names"),
    (".", "has empty or '.' components", "the root itself is not a resource"),
]


@pytest.mark.parametrize(("path", "message", "reason"), BAD_PATHS, ids=[c[2] for c in BAD_PATHS])
def test_bad_path_text_is_refused_everywhere(
    client: LocalClient, root: Path, path: str, message: str, reason: str
) -> None:
    target = file_target(path, "x")
    calls = [
        lambda: client.observe_many("File", [target]),
        lambda: client.create(target),
        lambda: client.update(target, Observation(True, {"content": "y", "mode": "0644"}), []),
        lambda: client.delete(target, Observation(True)),
        lambda: client.create(dir_target(path)),
    ]
    for call in calls:
        with pytest.raises(ConfigError) as raised:
            call()
        text = str(raised.value)
        assert "spec.path" in text and repr(path) in text and message in text, reason
        assert raised.value.diagnostics[0].path == "spec.path"
    assert os.listdir(root) == []


def test_path_must_be_a_string(client: LocalClient) -> None:
    with pytest.raises(ConfigError, match="spec.path: 42 must be a string"):
        client.create(file_target(42, "x"))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "outside"
    path.mkdir()
    (path / "target.txt").write_text("outside content")
    return path


def test_symlinked_directory_pointing_outside_is_refused(
    client: LocalClient, root: Path, outside: Path
) -> None:
    (root / "link").symlink_to(outside, target_is_directory=True)
    target = file_target("link/target.txt", "pwned")
    for call in (
        lambda: client.observe_many("File", [target]),
        lambda: client.create(target),
        lambda: client.create(file_target("link/new.txt", "pwned")),
        lambda: client.delete(target, Observation(True)),
    ):
        with pytest.raises(ConfigError, match="goes through 'link', which is a symbolic link"):
            call()
    assert (outside / "target.txt").read_text() == "outside content"
    assert sorted(os.listdir(outside)) == ["target.txt"]


def test_symlink_deeper_down_is_refused(client: LocalClient, root: Path, outside: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "c").symlink_to(outside)
    with pytest.raises(ConfigError, match="goes through 'a/b/c'"):
        client.create(file_target("a/b/c/d/e.txt", "pwned"))
    assert sorted(os.listdir(outside)) == ["target.txt"]


def test_symlink_to_a_file_inside_is_refused(client: LocalClient, root: Path) -> None:
    (root / "real.txt").write_text("real")
    (root / "alias.txt").symlink_to(root / "real.txt")
    target = file_target("alias.txt", "through the alias")
    with pytest.raises(ConfigError, match="'alias.txt' is a symbolic link"):
        observe_one(client, target)
    with pytest.raises(ConfigError, match="symbolic link"):
        client.create(target)
    with pytest.raises(ConfigError, match="symbolic link"):
        client.delete(target, Observation(True))
    assert (root / "real.txt").read_text() == "real"
    assert (root / "alias.txt").is_symlink()


def test_dangling_symlink_is_refused(client: LocalClient, root: Path) -> None:
    (root / "dangling").symlink_to(root / "nowhere")
    with pytest.raises(ConfigError, match="symbolic link"):
        client.create(file_target("dangling", "x"))
    with pytest.raises(ConfigError, match="symbolic link"):
        client.create(dir_target("dangling"))
    assert not (root / "nowhere").exists()


def test_symlink_swapped_in_after_observe_is_refused_at_create(
    client: LocalClient, root: Path, outside: Path
) -> None:
    target = file_target("conf/app.ini", "content")
    assert observe_one(client, target) == Observation.missing()  # the plan: create it

    (root / "conf").symlink_to(outside)  # between plan and apply, someone plants a link

    with pytest.raises(ConfigError, match="symbolic link"):
        client.create(target)
    assert sorted(os.listdir(outside)) == ["target.txt"]


def test_file_replaced_by_symlink_after_observe_is_refused_at_update(
    client: LocalClient, root: Path, outside: Path
) -> None:
    target = file_target("app.ini", "v1", "0644")
    client.create(target)
    seen = observe_one(client, target)
    (root / "app.ini").unlink()
    (root / "app.ini").symlink_to(outside / "target.txt")

    with pytest.raises(ConfigError, match="symbolic link"):
        client.update(file_target("app.ini", "v1", "0666"), seen, [])
    with pytest.raises(ConfigError, match="symbolic link"):
        client.update(file_target("app.ini", "v2", "0644"), seen, [])
    assert (outside / "target.txt").read_text() == "outside content"
    assert os.stat(outside / "target.txt").st_mode & 0o777 != 0o666


def test_a_symlinked_root_itself_is_the_operators_choice(tmp_path: Path) -> None:
    real = tmp_path / "real-root"
    real.mkdir()
    (tmp_path / "root-link").symlink_to(real)
    client = provider.connect({"root": str(tmp_path / "root-link")}, ConnectContext(app="a"))
    client.create(file_target("ok.txt", "fine"))
    assert (real / "ok.txt").read_text() == "fine"
