"""A claim is rendered, applied, planned and deleted like the resources it stands for."""

from __future__ import annotations

import hashlib
import json
import os

import yaml

from tests.compositions.conftest import CLAIM
from tests.conftest import write


def test_render_prints_every_composed_manifest_marked_with_its_claim(kedge, local_app, platform_dir) -> None:
    app, root = local_app(CLAIM.format(name="shop"))
    platform = platform_dir()
    result = kedge("render", app, "--platform", platform, "-o", "json")
    assert result.exit_code == 0, result
    manifests = json.loads(result.stdout)["manifests"]
    assert [(m["kind"], m["metadata"]["name"]) for m in manifests] == [
        ("Directory", "shop"),
        ("File", "shop-motd"),
        ("File", "shop-settings"),
    ]
    assert {m["metadata"]["annotations"]["kedge.dev/claim"] for m in manifests} == {"AppConfig/shop"}
    settings = manifests[2]["spec"]
    # defaults of the claim's schema are filled in, nested ones too; booleans print as CEL does
    assert settings["content"] == "debug=false connections=10"
    assert manifests[1]["spec"]["path"] == "shop/motd"
    assert list(root.iterdir()) == [], "render writes nothing"
    assert not (app / ".kedge").exists(), "render keeps no state"

    as_yaml = kedge("render", app, "--platform", platform)
    assert as_yaml.exit_code == 0, as_yaml
    assert list(yaml.safe_load_all(as_yaml.stdout)) == manifests


def test_include_when_leaves_a_resource_out(kedge, local_app, platform_dir) -> None:
    app, _ = local_app(CLAIM.format(name="shop").replace("size: large", "size: small"))
    result = kedge("render", app, "--platform", platform_dir(), "-o", "json")
    assert result.exit_code == 0, result
    names = [m["metadata"]["name"] for m in json.loads(result.stdout)["manifests"]]
    assert names == ["shop", "shop-motd"]


def test_whole_expression_keeps_its_type(kedge, local_app, platform_dir) -> None:
    composition = platform_dir().joinpath("composition.yaml").read_text()
    composition = composition.replace(
        'content: "${claim.spec.greeting}"',
        "content: \"${claim.spec.greeting}\"\n          mode: \"${claim.spec.debug ? '0600' : '0644'}\"",
    )
    app, _ = local_app(CLAIM.format(name="shop"))
    platform = platform_dir(composition=composition)
    result = kedge("render", app, "--platform", platform, "-o", "json")
    assert result.exit_code == 0, result
    motd = json.loads(result.stdout)["manifests"][1]
    assert motd["spec"]["mode"] == "0644"


def test_apply_then_plan_is_empty_and_changes_name_their_claim(kedge, local_app, platform_dir) -> None:
    app, root = local_app(CLAIM.format(name="shop"))
    platform = platform_dir()
    plan = kedge("plan", app, "--platform", platform, "-o", "json")
    assert plan.exit_code == 0, plan
    changes = json.loads(plan.stdout)["changes"]
    assert {c["action"] for c in changes} == {"create"}
    assert all(c["claim"] == {"kind": "AppConfig", "name": "shop"} for c in changes)

    applied = kedge("apply", app, "--platform", platform, "--auto-approve")
    assert applied.exit_code == 0, applied
    assert (root / "shop" / "motd").read_text() == "hello"
    # the file and the directory name their claim beside their app (extended attributes)
    assert os.getxattr(root / "shop" / "motd", "user.kedge.claim") == b"AppConfig/shop"
    assert os.getxattr(root / "shop", "user.kedge.claim") == b"AppConfig/shop"
    again = kedge("plan", app, "--platform", platform, "--detailed-exitcode")
    assert again.exit_code == 0, again
    drift = kedge("drift", app, "--platform", platform)
    assert drift.exit_code == 0, drift
    assert kedge("validate", app, "--platform", platform).exit_code == 0


def test_deleting_a_claim_prunes_what_it_composed(kedge, local_app, platform_dir) -> None:
    plain = (
        "---\napiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: keep}\nspec: {path: keep.txt}\n"
    )
    app, root = local_app(CLAIM.format(name="shop") + "---\n" + CLAIM.format(name="blog") + plain)
    platform = platform_dir()
    assert kedge("apply", app, "--platform", platform, "--auto-approve").exit_code == 0
    write(app / "resources.yaml", CLAIM.format(name="shop") + plain)

    plan = kedge("plan", app, "--platform", platform, "--prune", "-o", "json")
    assert plan.exit_code == 0, plan
    deletes = [c for c in json.loads(plan.stdout)["changes"] if c["action"] == "delete"]
    assert sorted(c["name"] for c in deletes) == ["blog", "blog-motd", "blog-settings"]
    assert all(c["claim"] == {"kind": "AppConfig", "name": "blog"} for c in deletes)
    keep = [c for c in json.loads(plan.stdout)["changes"] if c["name"] == "keep"]
    assert "claim" not in keep[0], "a plain resource has no claim"

    result = kedge("apply", app, "--platform", platform, "--prune", "--auto-approve")
    assert result.exit_code == 0, result
    assert not (root / "blog").exists()
    assert (root / "shop" / "motd").exists() and (root / "keep.txt").exists()


def test_definitions_may_sit_beside_the_claims(kedge, local_app, platform_dir) -> None:
    platform = platform_dir()
    app, _ = local_app(CLAIM.format(name="shop"))
    for f in platform.iterdir():
        (app / f.name).write_text(f.read_text())
    result = kedge("render", app, "-o", "json")
    assert result.exit_code == 0, result
    assert len(json.loads(result.stdout)["manifests"]) == 3


def test_a_plain_resource_reads_a_claims_output(kedge, local_app, platform_dir) -> None:
    reader = (
        "---\napiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: checksum}\n"
        "spec:\n  path: checksum.txt\n  content: {fromResource: {kind: AppConfig, name: shop, field: motd}}\n"
    )
    app, root = local_app(CLAIM.format(name="shop") + reader)
    platform = platform_dir()
    applied = kedge("apply", app, "--platform", platform, "--auto-approve")
    assert applied.exit_code == 0, applied
    assert (root / "checksum.txt").read_text() == hashlib.sha256(b"hello").hexdigest()
    assert kedge("plan", app, "--platform", platform, "--detailed-exitcode").exit_code == 0

    write(app / "resources.yaml", CLAIM.format(name="shop") + reader.replace("field: motd", "field: colour"))
    refused = kedge("plan", app, "--platform", platform)
    assert refused.exit_code == 1
    assert "output 'colour' of AppConfig/shop" in refused.stderr and "outputs: motd" in refused.stderr


def test_a_claim_whose_deletion_is_blocked_says_by_what(kedge, local_app, platform_dir) -> None:
    protected = CLAIM.format(name="blog").replace(
        "  name: blog\n", "  name: blog\n  annotations: {kedge.dev/prevent-destroy: 'true'}\n"
    )
    app, root = local_app(CLAIM.format(name="shop") + "---\n" + protected)
    platform = platform_dir()
    assert kedge("apply", app, "--platform", platform, "--auto-approve").exit_code == 0
    write(app / "resources.yaml", CLAIM.format(name="shop"))

    result = kedge("apply", app, "--platform", platform, "--prune", "--auto-approve")
    assert result.exit_code == 1
    assert "AppConfig/blog: its Directory/blog would be deleted" in result.stderr
    assert "prevent-destroy" in result.stderr and "claim cannot be deleted" in result.stderr
    assert (root / "blog" / "motd").exists()


def test_the_text_plan_shows_composed_resources_under_their_claim(kedge, local_app, platform_dir) -> None:
    plain = (
        "---\napiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: keep}\nspec: {path: keep.txt}\n"
    )
    app, _ = local_app(CLAIM.format(name="shop") + plain)
    result = kedge("plan", app, "--platform", platform_dir())
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    header = lines.index("  AppConfig/shop (claim)")
    assert lines[header + 1].startswith("    + Directory/shop")
    assert any(line.startswith("  + File/keep") for line in lines[:header])
