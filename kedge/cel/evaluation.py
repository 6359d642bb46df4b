"""CEL expressions, evaluated: on plain documents, with a deadline on the CPU clock.

    outcome = evaluate(expression, Bindings({"change": change}), deadline, time.thread_time)
    result = evaluate_value(expression, bindings, deadline, clock)  # any type, as plain JSON

The deadline is enforced from inside cel-python's interpreter: the evaluator counts the nodes
it visits and, every few of them, compares ``clock()`` with the deadline; past it, it raises
``Stopped``, a ``BaseException`` so that no handler inside cel-python turns it into a CEL
error value. A single built-in call (a regular expression, a list concatenation) still runs to
its end; re2 is linear and such calls are bounded by the data built before them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.evaluation import Activation, CELEvalError, Evaluator

from kedge.cel.expressions import Clock, Expression, Node, Path, cel_environment

CHECK_EVERY = 8  # nodes visited between two looks at the clock


class Stopped(BaseException):
    """The deadline passed inside an evaluation (or the plan's budget ran out)."""


@dataclass(frozen=True)
class Outcome:
    value: bool = False
    error: str | None = None  # why the expression has no answer; never holds a secret
    stopped: bool = False


@dataclass(frozen=True)
class Result:
    """The value of an expression of any type, as plain JSON (or why there is none)."""

    value: Any = None
    error: str | None = None
    stopped: bool = False


class Bindings:
    """Plain documents by variable, converted to CEL values field by field as expressions need them.

    Conversion costs as much as a short evaluation; a rule that reads ``change.name`` gets a map
    with the name only (it provably reads nothing else).
    """

    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents
        self._converted: dict[tuple[str, str], Any] = {}

    def activation(self, expression: Expression) -> dict[str, Any]:
        return {
            v: self.variable(v, expression.fields(v)) for v in expression.variables if v in self.documents
        }

    def variable(self, variable: str, fields: frozenset[str] | None) -> Any:
        document = self.documents[variable]
        if not isinstance(document, dict):
            return json_to_cel(document)
        names = list(document) if fields is None else [f for f in document if f in fields]
        items: dict[Any, Any] = {}
        for name in names:
            converted = self._converted.get((variable, name), _NOT_YET)
            if converted is _NOT_YET:
                converted = self._converted[(variable, name)] = json_to_cel(document[name])
            items[celtypes.StringType(name)] = converted
        return celtypes.MapType(items)


_NOT_YET = object()


_CLASS = re.compile(r"<class '(?:[\w.]*\.)?(\w+?)(?:Type)?'>")


@lru_cache(maxsize=1)
def _base_activation() -> Activation:
    env = cel_environment()
    return Activation(package=env.package, annotations=env.annotations, functions=None)


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
    """Run a true-or-false ``expression`` on ``bindings``; stop at ``deadline`` by ``clock``."""
    if expression.ast is None:
        read = evaluate_value(expression, bindings, deadline, clock)
        if read.error is not None or isinstance(read.value, bool):
            return Outcome(value=bool(read.value), error=read.error)
        return Outcome(error=f"the expression must be true or false (it gave a {_plain_type(read.value)})")
    evaluator = _Evaluator(expression.ast, _base_activation(), _Deadline(deadline, clock))
    try:
        value = evaluator.evaluate(bindings.activation(expression))
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


def evaluate_value(expression: Expression, bindings: Bindings, deadline: float, clock: Clock) -> Result:
    """The value of ``expression`` as plain JSON; a plain field path is read without the interpreter."""
    if expression.path is not None or expression.ast is None:
        return read_path(bindings.documents, expression.path or ())
    evaluator = _Evaluator(expression.ast, _base_activation(), _Deadline(deadline, clock))
    try:
        value = evaluator.evaluate(bindings.activation(expression))
    except Stopped:
        return Result(stopped=True)
    except CELEvalError as err:
        return Result(error=describe(err))
    except RecursionError:
        return Result(error="the expression recursed too deeply")
    except Exception as err:  # cel-python's own failures: an expression without an answer
        return Result(error=f"evaluation failed ({type(err).__name__})")
    if isinstance(value, CELEvalError):
        return Result(error=describe(value))
    return Result(value=to_plain(value))


def read_path(documents: dict[str, Any], path: Path) -> Result:
    value: Any = documents
    for name in path:
        if not isinstance(value, dict):
            return Result(error=f"no such key {name!r} (a {_plain_type(value)} has no fields)")
        if name not in value:
            return Result(error=f"no such key {name!r} (test optional fields with has())")
        value = value[name]
    return Result(value=value)


def to_plain(value: Any) -> Any:
    """A CEL value as plain JSON: bools stay bools, ints stay ints."""
    if value is None:
        return None
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, celtypes.IntType | celtypes.UintType):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, celtypes.MapType):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, celtypes.ListType):
        return [to_plain(v) for v in value]
    return str(value)


def _plain_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    names = {int: "int", float: "double", str: "string", list: "list", dict: "map"}
    return names.get(type(value), "null")


def describe(err: CELEvalError) -> str:
    """A short, single-line account of a CEL error (its message can embed the whole activation)."""
    args = err.args
    text = str(args[0]) if args else "error"
    text = text.split(" (in activation", 1)[0].split(" (in container", 1)[0]
    if text == "no such key" and len(args) > 2 and args[2]:
        text = f"no such key {str(args[2][0])!r}"
    if len(args) > 1 and args[1] is KeyError:
        text += " (test optional fields with has())"
    text = _CLASS.sub(lambda m: m.group(1).lower(), " ".join(text.split()))
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
