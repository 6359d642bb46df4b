"""A Composition's function is Python installed in Kedge's environment (the ``kedge.functions``
entry point group), never code from git; its manifests are checked like the templates'."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kedge.engine.platform import installed_functions
from tests.compositions.conftest import CLAIM, COMPOSITION
from tests.conftest import write

FUNCTIONS = """
def add_readme(claim, composed):
    directory = next(m for m in composed if m["kind"] == "Directory")
    return [{
        "apiVersion": "local.kedge.dev/v1",
        "kind": "File",
        "metadata": {"name": claim["metadata"]["name"] + "-readme"},
        "spec": {"path": directory["spec"]["path"] + "/README", "content": "files: %d" % len(composed)},
    }]


def broken(claim, composed):
    raise ValueError("no zones given")


def wrong(claim, composed):
    return [{"apiVersion": "local.kedge.dev/v1", "kind": "File", "metadata": {"name": "w"}, "spec": {"mode": 7}}]
"""


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A package with three functions, installed the way pip leaves one: module + dist-info."""
    site = tmp_path / "site"
    write(site / "acme_functions.py", FUNCTIONS)
    write(
        site / "acme_functions-1.0.dist-info" / "METADATA",
        "Metadata-Version: 2.1\nName: acme-functions\nVersion: 1.0\n",
    )
    write(
        site / "acme_functions-1.0.dist-info" / "entry_points.txt",
        "[kedge.functions]\nadd-readme = acme_functions:add_readme\nbroken = acme_functions:broken\n"
        "wrong = acme_functions:wrong\n",
    )
    monkeypatch.syspath_prepend(str(site))
    installed_functions.cache_clear()
    yield
    installed_functions.cache_clear()


def _platform(platform_dir, function: str) -> Path:
    return platform_dir(
        composition=COMPOSITION.replace(
            "  definition: AppConfig\n", f"  definition: AppConfig\n  function: {function}\n"
        )
    )


def test_an_installed_function_adds_manifests(kedge, local_app, platform_dir, installed) -> None:
    app, _ = local_app(CLAIM.format(name="shop"))
    result = kedge("render", app, "--platform", _platform(platform_dir, "add-readme"), "-o", "json")
    assert result.exit_code == 0, result
    readme = json.loads(result.stdout)["manifests"][-1]
    assert readme["metadata"]["name"] == "shop-readme"
    assert readme["metadata"]["annotations"]["kedge.dev/claim"] == "AppConfig/shop"
    assert readme["spec"]["content"] == "files: 3"


@pytest.mark.parametrize(
    "function,fragments",
    [
        ("not-installed", ["function 'not-installed' is not installed", "add-readme"]),
        ("broken", ["function 'broken' failed: ValueError: no zones given"]),
        ("wrong", ["AppConfig/shop composes File/w", "spec.mode"]),
    ],
)
def test_a_function_that_fails_is_an_error_on_the_claim(
    kedge, local_app, platform_dir, installed, function, fragments
) -> None:
    app, root = local_app(CLAIM.format(name="shop"))
    result = kedge("apply", app, "--platform", _platform(platform_dir, function), "--auto-approve")
    assert result.exit_code == 1, result
    assert "resources.yaml:1" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert list(root.iterdir()) == []
