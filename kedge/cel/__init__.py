"""The CEL sandbox shared by policies and compositions: compile once, evaluate with a deadline.

    expression = compile_expression("claim.spec.size == 'large'", frozenset({"claim"}))
    result = evaluate_value(expression, Bindings({"claim": claim}), deadline, time.thread_time)

No I/O, no clock of its own (the caller passes one). See ``kedge.cel.expressions``.
"""

from kedge.cel.expressions import (
    Bindings,
    Clock,
    Expression,
    Outcome,
    Result,
    Stopped,
    compile_expression,
    describe,
    evaluate,
    evaluate_value,
    read_path,
    to_plain,
)

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
