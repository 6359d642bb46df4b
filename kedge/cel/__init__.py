"""The CEL sandbox shared by policies and compositions: compile once, evaluate with a deadline.

    expression = compile_expression("claim.spec.size == 'large'", frozenset({"claim"}))
    result = evaluate_value(expression, Bindings({"claim": claim}), deadline, time.thread_time)

No I/O, no clock of its own (the caller passes one). Compiling: ``kedge.cel.expressions``;
evaluating: ``kedge.cel.evaluation``.
"""

from kedge.cel.evaluation import (
    Bindings,
    Outcome,
    Result,
    Stopped,
    describe,
    evaluate,
    evaluate_value,
    read_path,
    to_plain,
)
from kedge.cel.expressions import Clock, Expression, compile_expression

__all__ = [
    "Bindings",
    "Clock",
    "Expression",
    "Outcome",
    "Result",
    "Stopped",
    "compile_expression",
    "describe",
    "evaluate",
    "evaluate_value",
    "read_path",
    "to_plain",
]
