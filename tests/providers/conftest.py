"""Shared fixtures of the provider tests: a real temporary root, a connected local client, and
builders for File and Directory targets. Nothing is mocked: every test works on real files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kedge.model import ResourceKey
from kedge.providers.base import ConnectContext, Target
from kedge.providers.local import LocalClient, provider

API = "local.kedge.dev/v1"
APP = "shop"
NOBODY = 65534


def file_target(path: Any, content: Any = "", mode: Any = "0644", name: str | None = None) -> Target:
    spec: dict[str, Any] = {"path": path, "content": content}
    if mode is not None:
        spec["mode"] = mode
    ext = path if isinstance(path, str) else ""
    return Target(ResourceKey(API, "File", name or "f"), ext, spec)


def dir_target(path: str, mode: str | None = "0755", name: str | None = None) -> Target:
    spec: dict[str, Any] = {"path": path}
    if mode is not None:
        spec["mode"] = mode
    return Target(ResourceKey(API, "Directory", name or "d"), path, spec)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def client(root: Path) -> LocalClient:
    return provider.connect({"root": str(root)}, ConnectContext(app=APP))


def observe_one(client: LocalClient, target: Target) -> Any:
    return client.observe_many(target.key.kind, [target])[target.key]


def as_unprivileged(fn: Callable[[], Any]) -> tuple[str, str]:
    """Run ``fn`` as a user without root's powers; return ("ok", repr) or (error type, message).

    Root ignores file permissions, so a permission test run as root forks and drops to
    ``nobody`` for the call under test.
    """
    if os.geteuid() != 0:
        try:
            return "ok", repr(fn())
        except Exception as exc:
            return type(exc).__name__, str(exc)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 0
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                result = ["ok", repr(fn())]
            except Exception as exc:
                result = [type(exc).__name__, str(exc)]
            os.write(write_end, json.dumps(result).encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the unprivileged child failed"
    kind, message = json.loads(b"".join(chunks))
    return kind, message


def xattrs_supported(path: Path) -> bool:
    probe = path / ".xattr-probe"
    probe.write_text("")
    try:
        os.setxattr(probe, "user.probe", b"1")
    except OSError:
        return False
    finally:
        probe.unlink()
    return True
