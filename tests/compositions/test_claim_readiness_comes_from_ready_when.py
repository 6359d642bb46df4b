"""A claim is ready when its Composition's readyWhen expressions hold over what exists now."""

from __future__ import annotations

import json

from tests.compositions.conftest import CLAIM, COMPOSITION

READY_WHEN = COMPOSITION.replace(
    """    - id: motd
      template:""",
    """    - id: motd
      readyWhen: "motd.spec.content == claim.spec.greeting && motd.outputs.sha256 != ''"
      template:""",
).replace(
    """    - id: dir
      template:""",
    """    - id: dir
      readyWhen: "${dir.outputs.path.endsWith('/' + claim.metadata.name)}"
      template:""",
)


def _claims(result) -> list[dict]:
    assert result.exit_code == 0, result
    return json.loads(result.stdout)["claims"]


def test_a_claim_is_not_ready_until_its_resources_exist_and_ready_when_holds(
    kedge, local_app, platform_dir
) -> None:
    app, root = local_app(CLAIM.format(name="shop"))
    platform = platform_dir(composition=READY_WHEN)

    before = _claims(kedge("plan", app, "--platform", platform, "-o", "json"))
    assert [(c["kind"], c["name"], c["ready"]) for c in before] == [("AppConfig", "shop", False)]
    waiting = {w["resource"]: w for w in before[0]["waiting"]}
    assert set(waiting) == {"Directory/shop", "File/shop-motd", "File/shop-settings"}
    assert waiting["File/shop-motd"]["reason"] == "does not exist yet"
    assert waiting["File/shop-motd"]["readyWhen"].startswith("motd.spec.content == claim.spec.greeting")

    applied = kedge("apply", app, "--platform", platform, "--auto-approve")
    assert applied.exit_code == 0, applied
    assert "Claim AppConfig/shop: ready" in applied.stdout

    after = _claims(kedge("plan", app, "--platform", platform, "-o", "json"))
    assert after == [{"kind": "AppConfig", "name": "shop", "ready": True, "waiting": []}]
    text = kedge("plan", app, "--platform", platform)
    assert "Claim AppConfig/shop: ready" in text.stdout

    # A file removed behind Kedge's back: the claim waits for it again, and says so.
    (root / "shop" / "motd").unlink()
    gone = _claims(kedge("plan", app, "--platform", platform, "-o", "json"))
    assert gone[0]["ready"] is False
    assert [(w["resource"], w["reason"]) for w in gone[0]["waiting"]] == [
        ("File/shop-motd", "does not exist yet")
    ]


def test_a_ready_when_that_is_false_names_the_resource_and_the_expression(
    kedge, local_app, platform_dir
) -> None:
    app, _ = local_app(CLAIM.format(name="shop"))
    strict = READY_WHEN.replace("motd.spec.content == claim.spec.greeting", "motd.spec.content == 'approved'")
    platform = platform_dir(composition=strict)
    applied = kedge("apply", app, "--platform", platform, "--auto-approve")
    assert applied.exit_code == 0, applied
    assert "Claim AppConfig/shop: not ready" in applied.stdout
    assert "File/shop-motd (motd): readyWhen `motd.spec.content == 'approved'" in applied.stdout

    claims = _claims(kedge("plan", app, "--platform", platform, "-o", "json"))
    assert claims[0]["ready"] is False
    assert [(w["resource"], w["id"], w["reason"]) for w in claims[0]["waiting"]] == [
        ("File/shop-motd", "motd", "is false")
    ]
    # not being ready is a state, not an error: the plan is empty and exits 0
    assert kedge("plan", app, "--platform", platform, "--detailed-exitcode").exit_code == 0


def test_a_ready_when_without_an_answer_says_why(kedge, local_app, platform_dir) -> None:
    app, _ = local_app(CLAIM.format(name="shop"))
    broken = READY_WHEN.replace("motd.outputs.sha256 != ''", "motd.outputs.etag != ''")
    platform = platform_dir(composition=broken)
    assert kedge("apply", app, "--platform", platform, "--auto-approve").exit_code == 0
    claims = _claims(kedge("plan", app, "--platform", platform, "-o", "json"))
    (waiting,) = claims[0]["waiting"]
    assert waiting["resource"] == "File/shop-motd"
    assert "has no answer yet" in waiting["reason"] and "etag" in waiting["reason"]


def test_a_ready_when_that_does_not_compile_is_a_placed_error(kedge, local_app, platform_dir) -> None:
    app, root = local_app(CLAIM.format(name="shop"))
    platform = platform_dir(
        composition=READY_WHEN.replace("motd.outputs.sha256 != ''", "motd.outputs.sha256 !=")
    )
    result = kedge("plan", app, "--platform", platform)
    assert result.exit_code == 1
    assert "composition.yaml:19: spec.resources[1].readyWhen: error" in result.stderr
    assert "does not compile: syntax error" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(root.iterdir()) == []


def test_a_ready_when_that_is_not_a_boolean_says_what_it_gave(kedge, local_app, platform_dir) -> None:
    app, _ = local_app(CLAIM.format(name="shop"))
    platform = platform_dir(
        composition=READY_WHEN.replace(
            "motd.spec.content == claim.spec.greeting && motd.outputs.sha256 != ''", "motd.spec.content"
        )
    )
    assert kedge("apply", app, "--platform", platform, "--auto-approve").exit_code == 0
    claims = _claims(kedge("plan", app, "--platform", platform, "-o", "json"))
    (waiting,) = claims[0]["waiting"]
    assert waiting["reason"] == "must give true or false (it gave 'hello')"


def test_readiness_uses_definitions_declared_beside_the_claims(kedge, local_app, platform_dir) -> None:
    app, _ = local_app(CLAIM.format(name="shop"))
    for f in platform_dir(composition=READY_WHEN).iterdir():
        (app / f.name).write_text(f.read_text())
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    claims = _claims(kedge("plan", app, "-o", "json"))
    assert claims == [{"kind": "AppConfig", "name": "shop", "ready": True, "waiting": []}]
