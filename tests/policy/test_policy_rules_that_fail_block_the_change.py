"""A rule that raises while it evaluates fails closed: an error that blocks the change."""

from __future__ import annotations

import pytest

from .conftest import change, judge, messages, policy

FAILING = [
    ("a missing field read without has()", "change.after.encryption.algorithm == 'kms'", "no such member"),
    ("a division by zero", "change.after.replicas / 0 > 1", "divide by zero"),
    ("a result that is not a bool", "change.after.replicas", "must be true or false"),
    ("adding a string to a number", "change.after.replicas + 'x' == 1", "overload"),
    ("an index out of range", "change.after.zones[5] == 'a'", "invalid_argument"),
]


@pytest.mark.parametrize(("reason", "expression", "words"), FAILING, ids=[f[0] for f in FAILING])
def test_failure_is_an_error_naming_rule_and_change(reason: str, expression: str, words: str) -> None:
    c = change("create", "S3Bucket", "logs", after={"replicas": 3, "zones": ["a"]})
    found = judge([policy({"name": "r", "deny": expression})], [c])
    [d] = found
    assert d.is_error, reason
    assert d.message.startswith("policy guard/r failed to evaluate deny on create of S3Bucket/logs: ")
    assert words in d.message
    assert "blocked" in d.message
    assert len(d.message) < 400, "the message must not dump the evaluation context"


def test_a_failing_warn_rule_also_blocks() -> None:
    found = judge([policy({"name": "r", "warn": "change.after.nope"})], [change("create", "File", after={})])
    assert [d.is_error for d in found] == [True]
    assert "test optional fields with has()" in found[0].message


def test_repeated_failures_are_counted_not_listed() -> None:
    changes = [change("create", "File", f"f{i}", after={"n": i}) for i in range(50)]
    found = judge([policy({"name": "r", "deny": "change.after.nope == 1"})], changes)
    listed = [m for m in messages(found, "error") if "failed to evaluate" in m]
    assert len(listed) == 20
    assert any("failed on 30 more change(s)" in m for m in messages(found, "error"))
