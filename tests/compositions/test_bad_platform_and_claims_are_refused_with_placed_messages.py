"""Every bad claim, Definition and Composition: exit 1, a message naming the claim's file and line
(and the Composition's, for an expression), nothing written, nothing recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.compositions.conftest import CLAIM, COMPOSITION, DEFINITION
from tests.conftest import write

PLAIN_FILE = (
    "---\napiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: shop-motd}\nspec: {path: other.txt}\n"
)


@dataclass(frozen=True)
class Case:
    reason: str
    claims: str = CLAIM.format(name="shop")
    definition: str = DEFINITION
    composition: str = COMPOSITION
    fragments: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # more platform files


def _swap(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


SECOND = _swap(COMPOSITION, "name: appconfig-files", "name: appconfig-other").replace(
    "storage: local", "storage: other"
)

CASES = [
    Case(
        "a claim of an undefined kind",
        claims=_swap(CLAIM.format(name="shop"), "kind: AppConfig", "kind: AppConfg"),
        fragments=("resources.yaml:2", "unknown kind AppConfg", "AppConfig"),
    ),
    Case(
        "a claim failing its schema (enum)",
        claims=_swap(CLAIM.format(name="shop"), "size: large", "size: huge"),
        fragments=("resources.yaml:7", "AppConfig/shop", "spec.size", "huge"),
    ),
    Case(
        "a claim missing a required field",
        claims=_swap(CLAIM.format(name="shop"), "  greeting: hello\n", ""),
        fragments=("resources.yaml:", "greeting"),
    ),
    Case(
        "an unknown field where the schema does not forbid it",
        claims=CLAIM.format(name="shop") + "  colour: red\n",
        fragments=("resources.yaml:8", "colour"),
    ),
    Case(
        "an unknown nested field",
        claims=CLAIM.format(name="shop") + "  limits: {connections: 5, burst: 9}\n",
        fragments=("resources.yaml:8", "burst"),
    ),
    Case(
        "a Definition with an invalid schema",
        definition=_swap(DEFINITION, "greeting: {type: string}", "greeting: {type: strng}"),
        fragments=("definition.yaml:", "not a valid JSON Schema"),
    ),
    Case(
        "a Definition in Kedge's own group",
        definition=_swap(DEFINITION, "group: platform.example.org", "group: platform.kedge.dev"),
        fragments=("definition.yaml:6", "Kedge's own"),
    ),
    Case(
        "two Compositions and no way to choose",
        extra={"second.yaml": SECOND},
        fragments=("resources.yaml:2", "no way to choose", "appconfig-files", "appconfig-other"),
    ),
    Case(
        "a selector matching none",
        claims=_swap(
            CLAIM.format(name="shop"),
            "  name: shop\n",
            "  name: shop\n  annotations: {kedge.dev/composition-selector: storage=s3}\n",
        ),
        extra={"second.yaml": SECOND},
        fragments=("resources.yaml:5", "storage=s3", "matches no Composition"),
    ),
    Case(
        "a named Composition that does not exist",
        claims=_swap(
            CLAIM.format(name="shop"),
            "  name: shop\n",
            "  name: shop\n  annotations: {kedge.dev/composition: nope}\n",
        ),
        fragments=("resources.yaml:5", "no Composition 'nope'", "appconfig-files"),
    ),
    Case(
        "a broken expression",
        composition=_swap(COMPOSITION, "${claim.spec.greeting}", "${claim.spec.greeting +}"),
        fragments=("composition.yaml:27", "does not compile"),
    ),
    Case(
        "an expression naming an unknown resource",
        composition=_swap(COMPOSITION, "${claim.spec.greeting}", "${motto.spec.content}"),
        fragments=("composition.yaml:27", "unknown name 'motto'"),
    ),
    Case(
        "a type-wrong expression (a number where the schema wants a string)",
        composition=_swap(COMPOSITION, "${claim.spec.greeting}", "${claim.spec.limits.connections}"),
        fragments=("resources.yaml:1", "composition.yaml:27", "AppConfig/shop", "spec.content"),
    ),
    Case(
        "a map inside a longer string",
        composition=_swap(COMPOSITION, "${claim.spec.greeting}", "hi ${claim.spec.limits}"),
        fragments=("resources.yaml:1", "composition.yaml:27", "gave a map"),
    ),
    Case(
        "a claim whose values make an expression fail",
        composition=_swap(
            COMPOSITION, "${claim.spec.greeting}", "${claim.spec.greeting + claim.spec.size + 1}"
        ),
        fragments=(
            "resources.yaml:1",
            "composition.yaml:27",
            "AppConfig/shop",
            "failed",
            "no matching overload",
        ),
    ),
    Case(
        "includeWhen that is not a boolean",
        composition=_swap(
            COMPOSITION, "includeWhen: \"claim.spec.size == 'large'\"", "includeWhen: claim.spec.size"
        ),
        fragments=("resources.yaml:1", "composition.yaml:29", "true or false"),
    ),
    Case(
        "an expression reading a resource that includeWhen left out",
        claims=_swap(CLAIM.format(name="shop"), "size: large", "size: small"),
        composition=COMPOSITION
        + "    - id: reader\n      template:\n        apiVersion: local.kedge.dev/v1\n        kind: File\n"
        + '        metadata: {name: reader}\n        spec: {path: "${settings.spec.path}.bak"}\n',
        fragments=("resources.yaml:1", "composition.yaml:45", "settings", "includeWhen"),
    ),
    Case(
        "a cycle between composed resources",
        composition=_swap(COMPOSITION, 'path: "${claim.metadata.name}"', 'path: "${motd.spec.path}-dir"'),
        fragments=("composition.yaml:", "cycle", "dir", "motd"),
    ),
    Case(
        "a composed name colliding with a plain resource",
        claims=CLAIM.format(name="shop") + PLAIN_FILE,
        fragments=("resources.yaml:", "duplicate File named 'shop-motd'", "AppConfig/shop"),
    ),
    Case(
        "two claims composing the same name",
        claims=CLAIM.format(name="shop")
        + "---\n"
        + CLAIM.format(name="shop").replace("kind: AppConfig", "kind: AppConfig"),
        fragments=("resources.yaml:", "duplicate"),
    ),
    Case(
        "a claim written with the wrong version",
        claims=_swap(CLAIM.format(name="shop"), "platform.example.org/v1", "platform.example.org/v2"),
        fragments=("resources.yaml:1", "platform.example.org/v1"),
    ),
    Case(
        "a plain resource claiming to be composed",
        claims=CLAIM.format(name="shop")
        + PLAIN_FILE.replace("shop-motd}", "x, annotations: {kedge.dev/claim: AppConfig/shop}}"),
        fragments=("resources.yaml:", "kedge.dev/claim is set by Kedge"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.reason for c in CASES])
@pytest.mark.parametrize("command", ["apply", "render"])
def test_bad_input_is_refused_with_a_placed_message(
    kedge, local_app, tmp_path, case: Case, command: str
) -> None:
    app, root = local_app(case.claims)
    platform = tmp_path / "platform"
    write(platform / "definition.yaml", case.definition)
    write(platform / "composition.yaml", case.composition)
    for name, text in case.extra.items():
        write(platform / name, text)
    args = ("--auto-approve",) if command == "apply" else ()
    result = kedge(command, app, "--platform", platform, *args)
    assert result.exit_code == 1, result
    assert "Traceback" not in result.output
    for fragment in case.fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert list(root.iterdir()) == [], "nothing may be written"
    assert result.stdout.strip() == "" or command == "apply"


def test_a_platform_directory_holds_only_definitions_and_compositions(kedge, local_app, platform_dir) -> None:
    app, root = local_app(CLAIM.format(name="shop"))
    platform = platform_dir()
    write(
        platform / "stray.yaml",
        "apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: s}\nspec: {path: s}\n",
    )
    result = kedge("plan", app, "--platform", platform)
    assert result.exit_code == 1
    assert "stray.yaml:1" in result.stderr and "only Definitions and Compositions" in result.stderr


def test_a_missing_platform_directory_is_named(kedge, local_app, tmp_path) -> None:
    app, _ = local_app(CLAIM.format(name="shop"))
    result = kedge("validate", app, "--platform", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "nowhere" in result.stderr and "no such file" in result.stderr
