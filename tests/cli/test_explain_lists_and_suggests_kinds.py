"""`kedge explain` without a kind lists every kind by provider, core kinds included; a typo
gets a suggestion."""

from __future__ import annotations

import json

from tests.cli.process import kedge


def test_explain_without_a_kind_lists_every_kind_grouped_by_provider() -> None:
    result = kedge("explain")
    assert result.exit_code == 0, result
    text = result.stdout
    sections = [line.split()[0] for line in text.splitlines() if line and not line.startswith(" ")]
    assert sections[:1] == ["core"] and {"local", "postgres", "aws"} <= set(sections)
    for kind in ("ProviderConfig", "Application", "Policy", "File", "Directory", "Role", "S3Bucket"):
        assert f"  {kind} " in text or text.count(f"  {kind}\n"), kind
    core = text.split("\n\n")[0]
    assert "ProviderConfig" in core and "File" not in core
    listed = json.loads(kedge("explain", "-o", "json").stdout)["kinds"]
    by_kind = {k["kind"]: k for k in listed}
    assert by_kind["File"]["provider"] == "local" and by_kind["File"]["apiVersion"] == "local.kedge.dev/v1"
    assert by_kind["Policy"]["provider"] == "core" and by_kind["Policy"]["apiVersion"] == "kedge.dev/v1"


def test_a_misspelt_kind_gets_a_suggestion() -> None:
    result = kedge("explain", "Fille")
    assert result.exit_code == 1
    assert "did you mean 'File'?" in result.stderr and "Traceback" not in result.stderr
    assert kedge("explain", "ProvderConfig").stderr.count("'ProviderConfig'") == 1


def test_core_kinds_are_explained_too() -> None:
    result = kedge("explain", "Application", "-o", "json")
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    assert data["apiVersion"] == "kedge.dev/v1" and "source" in data["schema"]["properties"]
