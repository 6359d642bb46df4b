"""A rule that does not compile is an error at the Policy's file and line, naming the field."""

from __future__ import annotations

import pytest

from kedge.planning.policy import compile_policies

from .conftest import change, judge, policy

BAD = [
    ("a syntax error", {"name": "r", "deny": "change.action =="}, "spec.rules[0].deny", "syntax error"),
    ("an unclosed string", {"name": "r", "warn": "change.name == 'x"}, "spec.rules[0].warn", "syntax error"),
    (
        "a misspelt variable",
        {"name": "r", "deny": "chnage.action == 'delete'"},
        "spec.rules[0].deny",
        "unknown name 'chnage'",
    ),
    (
        "an expression too long",
        {"name": "r", "deny": "true && " * 600 + "true"},
        "spec.rules[0].deny",
        "longer than",
    ),
    (
        "an expression nested too deep",
        {"name": "r", "deny": "(" * 200 + "true" + ")" * 200},
        "spec.rules[0].deny",
        "nested",
    ),
    ("an empty expression", {"name": "r", "deny": "  "}, None, "must be a CEL expression"),
    (
        "a rule with neither deny nor warn",
        {"name": "r", "message": "m"},
        "spec.rules[0]",
        "needs deny or warn",
    ),
]


@pytest.mark.parametrize(("reason", "rule", "path", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_rule_is_an_error_with_place(reason: str, rule: dict, path: str | None, words: str) -> None:
    rules, problems = compile_policies([policy(rule, file="p.yaml", line=12)])
    assert rules == []
    [d] = problems
    assert d.is_error and words in d.message, (reason, d)
    assert (d.file, d.line, d.path) == ("p.yaml", 12, path)
    assert d.message.startswith("policy guard/r") or "needs" in d.message


def test_a_syntax_error_points_at_the_column() -> None:
    _, [d] = compile_policies([policy({"name": "r", "deny": "change.kind == 'File' &&& true"})])
    assert "column" in d.message and "&" in d.message


def test_a_broken_rule_blocks_the_plan_even_when_other_rules_pass() -> None:
    good = {"name": "good", "deny": "false"}
    bad = {"name": "bad", "deny": "change.x ||"}
    found = judge([policy(good, bad)], [change("create", "File", after={})])
    assert [d.path for d in found if d.is_error] == ["spec.rules[1].deny"]


def test_a_broken_rule_is_reported_when_nothing_changes() -> None:
    found = judge([policy({"name": "bad", "deny": "change.x ||"})], [])
    assert len(found) == 1 and found[0].is_error


def test_macro_variables_and_type_names_are_known() -> None:
    rule = {
        "name": "ok",
        "deny": "has(change.after.tags) && type(change.after.tags) == map && change.after.tags.all(k, k.size() > 0)",
    }
    rules, problems = compile_policies([policy(rule)])
    assert problems == [] and len(rules) == 1
