"""The example at the top of the engine's module runs as written: a store, a plan, an apply of
an app of local files, and the files exist afterwards."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import kedge.engine.engine as module
from kedge.engine import Engine, Options
from kedge.store import Store

APP = """
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {name: default}
spec: {provider: local, settings: {root: out}}
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: motd}
spec: {path: etc/motd, content: "pay here\\n"}
"""


def example() -> str:
    """The indented block of the module docstring."""
    doc = module.__doc__ or ""
    block = doc.split("\n\n")[1]
    assert block.startswith("    "), "the docstring's second paragraph is its example"
    return textwrap.dedent(block)


def test_the_example_plans_and_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "apps/payments").mkdir(parents=True)
    (tmp_path / "apps/payments/app.yaml").write_text(APP)
    names = {"Engine": Engine, "Store": Store, "Path": Path, "Options": Options}
    exec(example(), names)  # noqa: S102 - the example is this repository's own text

    assert names["outcome"].ok
    assert (tmp_path / "apps/payments/out/etc/motd").read_text() == "pay here\n"
    assert [str(e.key) for e in Store.open("kedge.db").inventory("payments")] == ["File/motd"]
