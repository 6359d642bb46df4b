"""CEL expressions for policy rules: parse once, know what they read, evaluate with a deadline.

    expression = compile_expression("change.action == 'delete'")   # or an error message
    outcome = evaluate(expression, Bindings(change), deadline, time.thread_time)

Parsing uses cel-python and is cached by the expression's text. Compilation also walks the
tree to find which fields under ``change`` the expression reads (``change.after.encryption``,
``change.labels``...): two changes that agree on those fields get the same answer, which is
what lets a policy cache results across a plan (``Expression.key``). Any use of ``change``
that is not a plain field path (``size(change)``, ``change[k]``) reads the whole subtree at
that point, so the key is never too small. Names other than ``change``, macro variables and
CEL's type names are compile errors: cel-python would only find them at evaluation, with a
message that dumps the whole activation.

The deadline is enforced from inside cel-python's interpreter: the evaluator counts the nodes
it visits and, every few of them, compares ``clock()`` with the deadline; past it, it raises
``Stopped``, a ``BaseException`` so that no handler inside cel-python turns it into a CEL
error value. A single built-in call (a regular expression, a list concatenation) still runs to
its end; re2 is linear and such calls are bounded by the data built before them.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import Activation, CELEvalError, Evaluator

Clock = Callable[[], float]
Path = tuple[str, ...]
Node = lark.Tree[Any]

MAX_TEXT = 4096  # characters of one expression
MAX_DEPTH = 300  # nesting of the parse tree: the interpreter recurses once per level
CHECK_EVERY = 8  # nodes visited between two looks at the clock
VARIABLE = "change"
GLOBALS = frozenset({"plan", "app"})  # the same for every change of a plan (cost, the app)
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
TYPE_NAMES = frozenset(
    {"bool", "bytes", "double", "duration", "dyn", "int", "list", "map", "null_type", "string"}
    | {"timestamp", "type", "uint", "google"}
)


class Stopped(BaseException):
    """The deadline passed inside an evaluation (or the plan's budget ran out)."""


@dataclass(frozen=True)
class Outcome:
    value: bool = False
    error: str | None = None  # why the expression has no answer; never holds a secret
    stopped: bool = False


@dataclass(frozen=True, eq=False)
class Expression:
    text: str
    ast: Node
    reads: tuple[Path, ...]  # paths under ``change``; () is the whole change
    plan_wide: frozenset[str] = frozenset()  # which of ``plan``, ``app`` it reads

    @property
    def fields(self) -> frozenset[str] | None:
        """The top-level fields of ``change`` the expression reads; None: all of them."""
        if any(not path for path in self.reads):
            return None
        return frozenset(path[0] for path in self.reads)

    def key(self, document: dict[str, Any]) -> tuple[Any, ...]:
        """What the expression's answer depends on, for ``document`` (a plain ``change``)."""
        return tuple(_read(document, path) for path in self.reads)


class Bindings:
    """A plain ``change`` document, converted to CEL values field by field as expressions need them.

    Conversion costs as much as a short evaluation; a rule that reads ``change.name`` gets a map
    with the name only (it provably reads nothing else).
    """

    def __init__(self, document: dict[str, Any], plan_wide: dict[str, Any] | None = None) -> None:
        self.document = document
        self._converted: dict[str, Any] = {}
        self.plan_wide = plan_wide or {}  # from ``plan_values``: converted once per plan

    def change(self, fields: frozenset[str] | None) -> celtypes.MapType:
        names = list(self.document) if fields is None else [f for f in self.document if f in fields]
        items: dict[Any, Any] = {}
        for name in names:
            if name not in self._converted:
                self._converted[name] = json_to_cel(self.document[name])
            items[celtypes.StringType(name)] = self._converted[name]
        return celtypes.MapType(items)


def plan_values(values: dict[str, Any]) -> dict[str, Any]:
    """``plan`` and ``app`` as CEL values, converted once for every change of a plan."""
    return {name: json_to_cel(value) for name, value in values.items() if name in GLOBALS}


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
def _environment() -> celpy.Environment:
    # cel-python sets the recursion limit to 2,500 (what CEL's nesting needs); never lower it.
    before = sys.getrecursionlimit()
    environment = celpy.Environment()
    sys.setrecursionlimit(max(before, sys.getrecursionlimit()))
    return environment


@lru_cache(maxsize=1)
def _base_activation() -> Activation:
    env = _environment()
    return Activation(package=env.package, annotations=env.annotations, functions=None)


@lru_cache(maxsize=2048)
def compile_expression(text: str) -> Expression | str:
    """The compiled expression, or a message saying why it does not compile."""
    if len(text) > MAX_TEXT:
        return f"the expression is longer than {MAX_TEXT} characters"
    try:
        with _parse_lock:
            ast = _environment().compile(text)
    except CELParseError as err:
        return _syntax_message(text, err)
    except (lark.exceptions.LarkError, RecursionError) as err:
        return f"syntax error ({type(err).__name__})"
    try:
        reads, unknown, plan_wide = _analyse(ast)
    except _TooDeep:
        return f"the expression is nested more than {MAX_DEPTH} levels deep"
    if unknown:
        names = ", ".join(repr(n) for n in sorted(unknown))
        return f"unknown name {names}; a rule sees only `{VARIABLE}`, `plan`, `app` (and macro variables)"
    return Expression(text, ast, reads, plan_wide)


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


def _analyse(ast: Node) -> tuple[tuple[Path, ...], set[str], frozenset[str]]:
    """The paths under ``change`` the expression reads, the names it cannot resolve, the globals."""
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
            if name == VARIABLE:
                uses.append(node)
        elif node.data == "member_dot_arg" and len(node.children) > 2:
            method = str(node.children[1])
            args = node.children[2]
            if method in MACROS and isinstance(args, lark.Tree) and args.children:
                first = args.children[0]
                if isinstance(first, lark.Tree):
                    bound.update(str(t.children[0]) for t in first.find_data("ident") if t.children)
    for ident in uses:
        reads.add(_path_of(ident, parents))
    free = names - bound
    return tuple(sorted(reads)), free - TYPE_NAMES - {VARIABLE} - GLOBALS, frozenset(free & GLOBALS)


def _path_of(ident: Node, parents: dict[int, Node]) -> Path:
    """``change.after.encryption`` -> ("after", "encryption"): the static field chain above ``ident``."""
    path: list[str] = []
    primary = parents.get(id(ident))
    member = parents.get(id(primary)) if primary is not None else None
    while member is not None and member.data == "member":
        above = parents.get(id(member))
        if above is None or above.data != "member_dot" or above.children[0] is not member:
            break
        path.append(str(above.children[1]))
        member = parents.get(id(above))
    return tuple(path)


class _Evaluator(Evaluator):
    """cel-python's interpreter, with a look at the clock every ``CHECK_EVERY`` nodes."""

    def __init__(self, ast: Node, activation: Activation, deadline: _Deadline) -> None:
        super().__init__(ast, activation)
        self.deadline = deadline

    def sub_evaluator(self, ast: Node) -> Evaluator:
        return _Evaluator(ast, self.activation, self.deadline)

    def visit_children(self, tree: Node) -> list[Any]:
        self.deadline.tick()
        return super().visit_children(tree)


class _Deadline:
    __slots__ = ("at", "clock", "steps")

    def __init__(self, at: float, clock: Clock) -> None:
        self.at = at
        self.clock = clock
        self.steps = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps % CHECK_EVERY == 0 and self.clock() > self.at:
            raise Stopped


def evaluate(expression: Expression, bindings: Bindings, deadline: float, clock: Clock) -> Outcome:
    """Run ``expression`` on the change of ``bindings``; stop at ``deadline`` by ``clock``."""
    evaluator = _Evaluator(expression.ast, _base_activation(), _Deadline(deadline, clock))
    try:
        value = evaluator.evaluate({**bindings.plan_wide, VARIABLE: bindings.change(expression.fields)})
    except Stopped:
        return Outcome(stopped=True)
    except CELEvalError as err:
        return Outcome(error=describe(err))
    except RecursionError:
        return Outcome(error="the expression recursed too deeply")
    except Exception as err:  # cel-python's own failures: still a rule without an answer
        return Outcome(error=f"evaluation failed ({type(err).__name__})")
    if isinstance(value, celtypes.BoolType):
        return Outcome(value=bool(value))
    return Outcome(error=f"the expression must be true or false (it gave a {_type_name(value)})")


def describe(err: CELEvalError) -> str:
    """A short, single-line account of a CEL error (its message can embed the whole activation)."""
    args = err.args
    text = str(args[0]) if args else "error"
    text = text.split(" (in activation", 1)[0].split(" (in container", 1)[0]
    if text == "no such key" and len(args) > 2 and args[2]:
        text = f"no such key {str(args[2][0])!r}"
    if len(args) > 1 and args[1] is KeyError:
        text += " (test optional fields with has())"
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."


def _type_name(value: Any) -> str:
    names = {
        celtypes.IntType: "int",
        celtypes.UintType: "uint",
        celtypes.DoubleType: "double",
        celtypes.StringType: "string",
        celtypes.ListType: "list",
        celtypes.MapType: "map",
    }
    for cls, name in names.items():
        if isinstance(value, cls):
            return name
    return "null" if value is None else type(value).__name__
