"""CEL expressions, compiled: parse once, know what they read.

    expression = compile_expression("change.action == 'delete'")   # or an error message
    expression = compile_expression("claim.spec.size", frozenset({"claim", "bucket"}))

Shared by policies (the variable ``change``) and compositions (``claim`` and the composed
resources' ids): the caller names the variables an expression may use. Parsing uses
cel-python and is cached by the expression's text and variables. Compilation also walks the
tree to find which fields under each variable the expression reads (``change.after.encryption``,
``claim.spec.size``...): two inputs that agree on those fields get the same answer, which is
what lets a caller cache results (``Expression.key``). Any use of a variable that is not a
plain field path (``size(change)``, ``change[k]``) reads the whole subtree at that point, so
the key is never too small. Other names (except macro variables and CEL's type names) are
compile errors: cel-python would only find them at evaluation, with a message that dumps the
whole activation. An expression that is only a field path (``claim.spec.size``) needs no
parser and is read without the interpreter (``Expression.path``): the same answer, a hundred
times faster. Evaluation is in ``kedge.cel.evaluation``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import celpy
import lark
from celpy.celparser import CELParseError

Clock = Callable[[], float]
Path = tuple[str, ...]
Node = lark.Tree[Any]

MAX_TEXT = 4096  # characters of one expression
MAX_DEPTH = 300  # nesting of the parse tree: the interpreter recurses once per level
VARIABLES = frozenset({"change"})
_FIELD_CHAIN = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\s*$")
_RESERVED = frozenset({"true", "false", "null", "in", "as", "break", "const", "continue", "else"})
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
TYPE_NAMES = frozenset(
    {"bool", "bytes", "double", "duration", "dyn", "int", "list", "map", "null_type", "string"}
    | {"timestamp", "type", "uint", "google"}
)


@dataclass(frozen=True, eq=False)
class Expression:
    text: str
    ast: Node | None  # None for a plain field path, read without the interpreter
    reads: tuple[Path, ...]  # (variable, field, ...); (variable,) alone reads all of it
    path: Path | None = None  # set when the expression is a plain field path

    @property
    def variables(self) -> frozenset[str]:
        """The variables the expression reads."""
        return frozenset(path[0] for path in self.reads)

    def fields(self, variable: str) -> frozenset[str] | None:
        """The top-level fields of ``variable`` the expression reads; None: all of them."""
        paths = [path[1:] for path in self.reads if path[0] == variable]
        if any(not path for path in paths):
            return None
        return frozenset(path[0] for path in paths)

    def key(self, documents: dict[str, Any]) -> tuple[Any, ...]:
        """What the expression's answer depends on, for ``documents`` (plain values by variable)."""
        return tuple(_read(documents, path) for path in self.reads)


def _read(document: Any, path: Path) -> tuple[Any, ...]:
    value = document
    for depth, name in enumerate(path):
        if not isinstance(value, dict):
            return ("stop", depth, _freeze(value))
        if name not in value:
            return ("absent", depth)
        value = value[name]
    return ("value", _freeze(value))


def _freeze(value: Any) -> Any:
    """A hashable stand-in that tells apart what CEL tells apart (1, 1.0, true, "1"; key order)."""
    if value is None or isinstance(value, bool | int | float | str):
        return (type(value).__name__, value)
    return json.dumps(value, default=str)


_parse_lock = threading.Lock()

# cel-python logs the whole evaluation context at DEBUG on every step: far too much for an
# operator's debug log, and a rule's input has no business in a log file.
logging.getLogger("celpy").setLevel(logging.WARNING)


@lru_cache(maxsize=1)
def cel_environment() -> celpy.Environment:
    # cel-python sets the recursion limit to 2,500 (what CEL's nesting needs); never lower it.
    before = sys.getrecursionlimit()
    environment = celpy.Environment()
    sys.setrecursionlimit(max(before, sys.getrecursionlimit()))
    return environment


@lru_cache(maxsize=4096)
def compile_expression(text: str, variables: frozenset[str] = VARIABLES) -> Expression | str:
    """The compiled expression, or a message saying why it does not compile."""
    if len(text) > MAX_TEXT:
        return f"the expression is longer than {MAX_TEXT} characters"
    path = _plain_path(text)
    if path is not None and path[0] in variables:
        # A field path needs no parser (building cel-python's takes a noticeable part of a second).
        return Expression(text, None, (path,), path)
    try:
        with _parse_lock:
            ast = cel_environment().compile(text)
    except CELParseError as err:
        return _syntax_message(text, err)
    except (lark.exceptions.LarkError, RecursionError) as err:
        return f"syntax error ({type(err).__name__})"
    try:
        reads, unknown = _analyse(ast, variables)
    except _TooDeep:
        return f"the expression is nested more than {MAX_DEPTH} levels deep"
    if unknown:
        names = ", ".join(repr(n) for n in sorted(unknown))
        seen = ", ".join(f"`{v}`" for v in sorted(variables))
        return f"unknown name {names}; the expression sees only {seen} (and macro variables)"
    return Expression(text, ast, reads, _plain_path(text))


def _plain_path(text: str) -> Path | None:
    if _FIELD_CHAIN.match(text) and not _RESERVED.intersection(text.strip().split(".")):
        return tuple(text.strip().split("."))
    return None


def _syntax_message(text: str, err: CELParseError) -> str:
    line = getattr(err, "line", None)
    column = getattr(err, "column", None)
    if not isinstance(line, int) or not isinstance(column, int):
        return "syntax error"
    lines = text.splitlines() or [""]
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    near = source[max(column - 1, 0) : column + 19].strip()
    where = f"line {line} column {column}" if len(lines) > 1 else f"column {column}"
    return f"syntax error at {where}" + (f" near {near!r}" if near else " (unexpected end)")


class _TooDeep(Exception):
    pass


def _walk(ast: Node) -> Iterator[tuple[Node, dict[int, Node]]]:
    """Every subtree, iteratively (a deep tree must not exhaust the stack), with parent links."""
    parents: dict[int, Node] = {}
    stack: list[tuple[Node, int]] = [(ast, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _TooDeep
        yield node, parents
        for child in node.children:
            if isinstance(child, lark.Tree):
                parents[id(child)] = node
                stack.append((child, depth + 1))


def _analyse(ast: Node, variables: frozenset[str]) -> tuple[tuple[Path, ...], set[str]]:
    """The paths under each variable the expression reads, and the names it cannot resolve."""
    reads: set[Path] = set()
    names: set[str] = set()
    bound: set[str] = set()
    uses: list[Node] = []
    walked = list(_walk(ast))
    parents = walked[-1][1] if walked else {}
    for node, _ in walked:
        if node.data in ("ident", "dot_ident") and node.children:
            name = str(node.children[0])
            names.add(name)
            if name in variables:
                uses.append(node)
        elif node.data == "member_dot_arg" and len(node.children) > 2:
            method = str(node.children[1])
            args = node.children[2]
            if method in MACROS and isinstance(args, lark.Tree) and args.children:
                first = args.children[0]
                if isinstance(first, lark.Tree):
                    bound.update(str(t.children[0]) for t in first.find_data("ident") if t.children)
    for ident in uses:
        if str(ident.children[0]) not in bound:
            reads.add(_path_of(ident, parents))
    return tuple(sorted(reads)), names - bound - TYPE_NAMES - variables


def _path_of(ident: Node, parents: dict[int, Node]) -> Path:
    """``change.after.encryption`` -> ("change", "after", "encryption"): the static field chain."""
    path: list[str] = [str(ident.children[0])]
    primary = parents.get(id(ident))
    member = parents.get(id(primary)) if primary is not None else None
    while member is not None and member.data == "member":
        above = parents.get(id(member))
        if above is None or above.data != "member_dot" or above.children[0] is not member:
            break
        path.append(str(above.children[1]))
        member = parents.get(id(above))
    return tuple(path)
