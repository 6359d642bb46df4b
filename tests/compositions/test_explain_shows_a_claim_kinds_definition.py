"""``kedge explain <claim kind> --platform DIR`` shows what an app team may write."""

from __future__ import annotations

import json


def test_explain_json_gives_the_strict_schema_outputs_and_compositions(kedge, platform_dir) -> None:
    result = kedge("explain", "AppConfig", "--platform", platform_dir(), "-o", "json")
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    assert data["apiVersion"] == "platform.example.org/v1" and data["kind"] == "AppConfig"
    assert data["schema"]["required"] == ["greeting"]
    assert data["schema"]["additionalProperties"] is False  # strict, though the Definition did not say so
    assert data["schema"]["properties"]["size"]["default"] == "small"
    assert data["outputs"] == {"motd": "${motd.outputs.sha256}"}
    assert data["compositions"] == [{"name": "appconfig-files", "labels": {"storage": "local"}}]


def test_explain_text_lists_fields_and_compositions(kedge, platform_dir) -> None:
    result = kedge("explain", "platform.example.org/v1/AppConfig", "--platform", platform_dir())
    assert result.exit_code == 0, result
    for fragment in (
        "AppConfig",
        "greeting",
        "limits.connections",
        "appconfig-files",
        "kedge.dev/composition",
    ):
        assert fragment in result.stdout, fragment


def test_an_unknown_kind_is_still_an_error(kedge, platform_dir) -> None:
    result = kedge("explain", "AppConfg", "--platform", platform_dir())
    assert result.exit_code == 1
    assert "unknown kind 'AppConfg'" in result.stderr
