"""Symlinks are followed only inside the manifest root; one that leaves it is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from kedge.manifests import load_path

from .conftest import file_doc, kinds, one_error


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the app, holding a valid manifest the app must not read."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret.yaml").write_text(file_doc("stolen", "stolen.txt"))
    return out


def test_a_file_symlink_to_outside_is_refused(write, tmp_path: Path, outside: Path) -> None:
    write("a.yaml", file_doc("a", "a.txt"))
    (tmp_path / "app" / "link.yaml").symlink_to(outside / "secret.yaml")

    result = load_path(tmp_path / "app", kinds, env={})

    error = one_error(result)
    assert error.file == "link.yaml"
    assert "outside the manifest root" in error.message
    assert [r.key.name for r in result.resources] == ["a"]


def test_a_directory_symlink_to_outside_is_refused(write, tmp_path: Path, outside: Path) -> None:
    write("a.yaml", file_doc("a", "a.txt"))
    (tmp_path / "app" / "shared").symlink_to(outside, target_is_directory=True)

    result = load_path(tmp_path / "app", kinds, env={})

    error = one_error(result)
    assert error.file == "shared"
    assert "outside the manifest root" in error.message
    assert [r.key.name for r in result.resources] == ["a"]


def test_a_relative_symlink_climbing_out_is_refused(write, tmp_path: Path, outside: Path) -> None:
    write("sub/a.yaml", file_doc("a", "a.txt"))
    (tmp_path / "app" / "sub" / "up.yaml").symlink_to(Path("../../outside/secret.yaml"))

    result = load_path(tmp_path / "app", kinds, env={})

    assert one_error(result).file == "sub/up.yaml"
    assert [r.key.name for r in result.resources] == ["a"]


def test_a_symlink_inside_the_root_is_read_once(write, tmp_path: Path) -> None:
    write("real/a.yaml", file_doc("a", "a.txt"))
    (tmp_path / "app" / "alias.yaml").symlink_to(tmp_path / "app" / "real" / "a.yaml")
    (tmp_path / "app" / "mirror").symlink_to(tmp_path / "app" / "real", target_is_directory=True)

    result = load_path(tmp_path / "app", kinds, env={})

    assert result.ok, result.diagnostics  # no duplicate-name error: the file is read once
    assert [r.key.name for r in result.resources] == ["a"]


def test_a_symlink_loop_ends(write, tmp_path: Path) -> None:
    write("sub/a.yaml", file_doc("a", "a.txt"))
    (tmp_path / "app" / "sub" / "again").symlink_to(tmp_path / "app", target_is_directory=True)

    result = load_path(tmp_path / "app", kinds, env={})

    assert result.ok, result.diagnostics
    assert [r.key.name for r in result.resources] == ["a"]


def test_a_broken_symlink_is_reported(write, tmp_path: Path) -> None:
    write("a.yaml", file_doc("a", "a.txt"))
    (tmp_path / "app" / "gone.yaml").symlink_to(tmp_path / "app" / "missing.yaml")

    result = load_path(tmp_path / "app", kinds, env={})

    error = one_error(result)
    assert (error.file, error.message) == ("gone.yaml", "broken symlink")


def test_a_single_file_argument_that_links_outside_is_refused(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "app").mkdir()
    link = tmp_path / "app" / "link.yaml"
    link.symlink_to(outside / "secret.yaml")

    result = load_path(link, kinds, env={})

    assert "outside" in one_error(result).message
    assert result.resources == []
