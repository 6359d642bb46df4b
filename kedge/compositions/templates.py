"""Templates of a Composition: find the ``${...}`` expressions once, fill them in per claim.

    template = compile_template(raw, variables)          # or problems at field paths
    body = template.fill(scope)                          # scope: evaluates one expression

A string that is one whole expression (``"${claim.spec.versioned}"``) takes the expression's
value and type: booleans stay booleans, maps stay maps. A string with text around expressions
(``"${claim.metadata.name}-data"``) is interpolated: each part must give a string, a number or
a boolean. ``${id.outputs.field}`` as a whole value is an output of another composed resource,
known only at apply time: it becomes ``{fromResource: {kind, name, field}}``, which also orders
the two resources. Outputs read any other way cannot be known when rendering and are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kedge.manifests.problems import FieldPath, Problem

if TYPE_CHECKING:  # the CEL sandbox loads when a template holds an expression, not before
    from kedge.cel import Expression

_PLACEHOLDER = re.compile(r"\$\{(.*?)\}(?!\})", re.DOTALL)


@dataclass(frozen=True)
class Hole:
    """One ``${...}`` at ``path`` in the template."""

    path: FieldPath
    expression: Expression
    output: tuple[str, str] | None = None  # (id, field) for a whole ``${id.outputs.field}``


@dataclass(frozen=True)
class Piece:
    """A string of the template: literal text and holes, or one whole hole."""

    parts: tuple[str | Hole, ...]

    @property
    def whole(self) -> Hole | None:
        if len(self.parts) == 1 and isinstance(self.parts[0], Hole):
            return self.parts[0]
        return None


class FillError(Exception):
    """An expression failed for a claim; ``path`` is the field of the template."""

    def __init__(self, message: str, path: FieldPath) -> None:
        super().__init__(message)
        self.path = path


# What a template asks of the expander: a hole's value, or an output reference.
Evaluate = Callable[[Hole], Any]
OutputRef = Callable[[str, str, FieldPath], Any]


@dataclass(frozen=True)
class Template:
    body: Any  # the template with every ``${...}`` string replaced by a Piece
    holes: tuple[Hole, ...] = ()
    reads: frozenset[str] = field(default_factory=frozenset)  # variables whose values it needs now
    refs: frozenset[str] = field(default_factory=frozenset)  # every variable it names, outputs too

    def fill(self, evaluate: Evaluate, output: OutputRef) -> Any:
        return _fill(self.body, evaluate, output)


def compile_template(
    raw: Any, variables: frozenset[str], ids: frozenset[str]
) -> tuple[Template, list[Problem]]:
    """Compile every ``${...}`` of ``raw``; problems have paths relative to the template."""
    holes: list[Hole] = []
    problems: list[Problem] = []
    body = _compile(raw, (), variables, ids, holes, problems)
    reads = frozenset(v for h in holes if h.output is None for v in h.expression.variables)
    refs = frozenset(v for h in holes for v in h.expression.variables)
    return Template(body, tuple(holes), reads, refs), problems


def compile_condition(
    text: str, variables: frozenset[str], path: FieldPath, ids: frozenset[str]
) -> tuple[Expression | None, list[Problem]]:
    """``includeWhen``/``readyWhen``: a plain CEL expression (a ``${...}`` wrapper is allowed)."""
    from kedge.cel import compile_expression

    match = _PLACEHOLDER.fullmatch(text.strip())
    source = match.group(1) if match else text
    compiled = compile_expression(source, variables)
    if isinstance(compiled, str):
        return None, [Problem(f"does not compile: {compiled}", path)]
    return compiled, []


def _compile(
    value: Any,
    path: FieldPath,
    variables: frozenset[str],
    ids: frozenset[str],
    holes: list[Hole],
    problems: list[Problem],
) -> Any:
    if isinstance(value, dict):
        return {k: _compile(v, (*path, k), variables, ids, holes, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_compile(v, (*path, i), variables, ids, holes, problems) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value
    from kedge.cel import compile_expression

    parts: list[str | Hole] = []
    at = 0
    for match in _PLACEHOLDER.finditer(value):
        if match.start() > at:
            parts.append(value[at : match.start()])
        compiled = compile_expression(match.group(1).strip(), variables)
        if isinstance(compiled, str):
            problems.append(Problem(f"${{{match.group(1)}}} does not compile: {compiled}", path))
            return value
        hole = Hole(path, compiled, _output_of(compiled, ids))
        whole = match.start() == 0 and match.end() == len(value)
        bad_output = _reads_outputs(compiled, ids) and (hole.output is None or not whole)
        if bad_output:
            problems.append(
                Problem(
                    f"${{{match.group(1)}}}: the outputs of a composed resource are known only when it "
                    "exists; use one whole ${id.outputs.field} as the value",
                    path,
                )
            )
            return value
        holes.append(hole)
        parts.append(hole)
        at = match.end()
    if at < len(value):
        parts.append(value[at:])
    if "${" in "".join(p for p in parts if isinstance(p, str)):
        problems.append(Problem("an unterminated ${ (close it with })", path))
    return Piece(tuple(parts))


def _output_of(expression: Expression, ids: frozenset[str]) -> tuple[str, str] | None:
    path = expression.path
    if path is not None and len(path) == 3 and path[0] in ids and path[1] == "outputs":
        return path[0], path[2]
    return None


def _reads_outputs(expression: Expression, ids: frozenset[str]) -> bool:
    return any(len(p) < 2 or p[1] == "outputs" for p in expression.reads if p[0] in ids)


def _fill(value: Any, evaluate: Evaluate, output: OutputRef) -> Any:
    if isinstance(value, Piece):
        return _fill_piece(value, evaluate, output)
    if isinstance(value, dict):
        return {k: _fill(v, evaluate, output) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, evaluate, output) for v in value]
    return value


def _fill_piece(piece: Piece, evaluate: Evaluate, output: OutputRef) -> Any:
    whole = piece.whole
    if whole is not None:
        if whole.output is not None:
            return output(whole.output[0], whole.output[1], whole.path)
        return evaluate(whole)
    text: list[str] = []
    for part in piece.parts:
        if isinstance(part, str):
            text.append(part)
            continue
        value = evaluate(part)
        if isinstance(value, bool):
            text.append("true" if value else "false")
        elif isinstance(value, int | float | str):
            text.append(str(value))
        else:
            kind = "null" if value is None else "a list" if isinstance(value, list) else "a map"
            raise FillError(
                f"${{{part.expression.text}}} gave {kind}; inside a longer string it must give a "
                "string, a number or a boolean",
                ("template", *part.path),
            )
    return "".join(text)
