"""A File and a Directory go through create, observe, update and delete on a real root."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from kedge.model import Observation, ProviderError
from kedge.providers.base import Client, ConnectContext, Provider
from kedge.providers.local import LocalClient, provider

from .conftest import APP, dir_target, file_target, observe_one


def test_provider_and_client_meet_the_contract(client: LocalClient) -> None:
    p: Provider = provider
    assert p.name == "local"
    assert set(p.kinds) == {"File", "Directory"}
    assert isinstance(client, Client)
    assert callable(getattr(client, "watch", None))


def test_file_round_trip(client: LocalClient, root: Path) -> None:
    target = file_target("conf/app.ini", "[app]\nport = 8080\n", "0640")
    assert observe_one(client, target) == Observation.missing()

    applied = client.create(target)
    written = root / "conf" / "app.ini"
    assert written.read_text() == "[app]\nport = 8080\n"
    assert stat.S_IMODE(written.stat().st_mode) == 0o640
    digest = hashlib.sha256(b"[app]\nport = 8080\n").hexdigest()
    assert applied.outputs == {"path": str(written), "sha256": digest}

    seen = observe_one(client, target)
    assert seen.exists
    assert seen.state == {"path": "conf/app.ini", "content": "[app]\nport = 8080\n", "mode": "0640"}
    assert seen.outputs == applied.outputs

    changed = file_target("conf/app.ini", "[app]\nport = 9090\n", "0640")
    applied = client.update(changed, seen, [])
    assert written.read_text() == "[app]\nport = 9090\n"
    assert applied.outputs["sha256"] == hashlib.sha256(b"[app]\nport = 9090\n").hexdigest()
    assert observe_one(client, changed).state["content"] == "[app]\nport = 9090\n"

    client.delete(changed, observe_one(client, changed))
    assert not written.exists()
    assert observe_one(client, changed) == Observation.missing()


def test_directory_round_trip(client: LocalClient, root: Path) -> None:
    target = dir_target("var/cache", "0750")
    assert not observe_one(client, target).exists

    applied = client.create(target)
    made = root / "var" / "cache"
    assert made.is_dir()
    assert stat.S_IMODE(made.stat().st_mode) == 0o750
    assert applied.outputs == {"path": str(made)}

    seen = observe_one(client, target)
    assert seen.state == {"path": "var/cache", "mode": "0750"}
    assert seen.owner in (APP, None)  # None only where the filesystem has no xattrs

    client.update(dir_target("var/cache", "0700"), seen, [])
    assert stat.S_IMODE(made.stat().st_mode) == 0o700

    client.delete(target, seen)
    assert not made.exists()
    assert (root / "var").is_dir()  # parents made on the way stay: they are not the resource's


def test_defaults_apply_when_mode_and_content_are_absent(client: LocalClient, root: Path) -> None:
    old = os.umask(0o077)  # a strict umask must not decide the modes Kedge writes
    try:
        client.create(file_target("a/b/empty.txt", content="", mode=None))
        client.create(dir_target("a/c", mode=None))
    finally:
        os.umask(old)
    assert (root / "a/b/empty.txt").read_bytes() == b""
    assert stat.S_IMODE((root / "a/b/empty.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((root / "a/c").stat().st_mode) == 0o755
    for parent in ("a", "a/b"):
        assert stat.S_IMODE((root / parent).stat().st_mode) == 0o755


def test_missing_root_means_missing_and_create_makes_it(tmp_path: Path) -> None:
    root = tmp_path / "not-yet"
    client = provider.connect({"root": str(root)}, ConnectContext(app=APP))
    target = file_target("x/y.txt", "hi")
    assert observe_one(client, target) == Observation.missing()
    assert not root.exists()  # observe never changes anything

    client.create(target)
    assert (root / "x" / "y.txt").read_text() == "hi"


def test_observe_is_batched_over_many_targets(client: LocalClient, root: Path) -> None:
    targets = [file_target(f"d{i % 3}/f{i}.txt", f"n{i}", name=f"f{i}") for i in range(30)]
    for t in targets[::2]:
        client.create(t)
    seen = client.observe_many("File", targets)
    assert [seen[t.key].exists for t in targets] == [i % 2 == 0 for i in range(30)]
    assert all(seen[t.key].state["content"] == f"n{i}" for i, t in enumerate(targets) if i % 2 == 0)


def test_delete_is_idempotent(client: LocalClient) -> None:
    target = file_target("gone.txt", "x")
    client.create(target)
    client.delete(target, observe_one(client, target))
    client.delete(target, Observation.missing())
    client.delete(file_target("never/was/here.txt"), Observation.missing())
    client.delete(dir_target("never/was"), Observation.missing())


def test_create_is_idempotent(client: LocalClient, root: Path) -> None:
    target = file_target("again.txt", "same")
    client.create(target)
    client.create(target)
    client.create(dir_target("again-dir"))
    client.create(dir_target("again-dir"))
    assert (root / "again.txt").read_text() == "same"
    assert sorted(os.listdir(root)) == ["again-dir", "again.txt"]


def test_non_utf8_content_round_trips(client: LocalClient, root: Path) -> None:
    (root / "bin.dat").write_bytes(b"\xff\xfeok")
    seen = observe_one(client, file_target("bin.dat"))
    client.update(file_target("bin.dat", seen.state["content"] + "!"), seen, [])
    assert (root / "bin.dat").read_bytes() == b"\xff\xfeok!"


def test_wrong_type_is_a_provider_error(client: LocalClient, root: Path) -> None:
    (root / "adir").mkdir()
    (root / "afile").write_text("x")
    with pytest.raises(ProviderError, match="'adir' exists as a directory, not a file"):
        observe_one(client, file_target("adir"))
    with pytest.raises(ProviderError, match="'afile' exists as a regular file, not a directory"):
        observe_one(client, dir_target("afile"))
    with pytest.raises(ProviderError, match="directory"):
        client.create(file_target("adir", "x"))
    with pytest.raises(ProviderError, match="'afile' exists and is not a directory"):
        client.create(file_target("afile/inner.txt", "x"))
    assert observe_one(client, file_target("afile/inner.txt")) == Observation.missing()
    assert (root / "afile").read_text() == "x"
