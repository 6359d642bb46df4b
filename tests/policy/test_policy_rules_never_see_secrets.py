"""Secrets reach a rule as the redaction marker: desired Secrets, sensitive fields, old values."""

from __future__ import annotations

from kedge.model import Secret
from kedge.model.values import UNKNOWN

from .conftest import change, entry, judge, policy

CLEAR = "hunter2-clear-value"


def denied(expression: str, c, **kw) -> bool:
    found = judge([policy({"name": "r", "deny": expression})], [c], **kw)
    assert not [d for d in found if "failed" in d.message or "compile" in d.message], found
    return any("denies" in d.message for d in found)


def test_a_secret_in_the_desired_spec_is_the_marker() -> None:
    c = change("create", "File", after={"content": Secret(CLEAR, "fromEnv X")})
    assert denied("change.after.content == '(sensitive)'", c)
    assert not denied(f"change.after.content == '{CLEAR}'", c)
    assert not denied("change.after.content.contains('hunter')", c)


def test_the_old_value_of_a_secret_field_is_the_marker() -> None:
    c = change("update", "File", before={"content": "old-clear"}, after={"content": Secret(CLEAR)})
    assert denied("change.before.content == '(sensitive)'", c)


def test_a_sensitive_field_of_the_kind_is_the_marker_even_when_written_in_clear() -> None:
    c = change("update", "Role", before={"password": "old"}, after={"password": "literal"})
    assert denied("change.before.password == '(sensitive)' && change.after.password == '(sensitive)'", c)


def test_a_delete_hides_what_was_a_secret_reference_in_git() -> None:
    c = change("delete", "File", "f", before={"content": CLEAR, "mode": "0644"})
    inventory = [entry("File", "f", {"content": {"fromEnv": "TOKEN"}, "mode": "0644"})]
    assert denied(
        "change.before.content == '(sensitive)' && change.before.mode == '0644'", c, inventory=inventory
    )


def test_values_known_after_apply_are_a_marker_too() -> None:
    c = change("create", "File", after={"ref": UNKNOWN})
    assert denied("change.after.ref == '(known after apply)'", c)


def test_the_cache_tells_apart_values_that_python_confuses() -> None:
    rule = {"name": "r", "deny": "change.after.v == true"}
    changes = [
        change("create", "File", "a", after={"v": 1}),
        change("create", "File", "b", after={"v": True}),
        change("create", "File", "c", after={"v": 1.0}),
        change("create", "File", "d", after={"v": "true"}),
        change("create", "File", "e", after={}),
    ]
    found = judge([policy(rule)], changes)
    denials = sorted(d.message.split(" of ")[1].split(":")[0] for d in found if "denies" in d.message)
    assert denials == ["File/b"], found
    failures = sorted(d.message.split(" of ")[1].split(":")[0] for d in found if "failed" in d.message)
    # CEL has no int == bool overload: 1 and 1.0 fail where true matches and "true" does not.
    assert failures == ["File/a", "File/c", "File/e"]


def test_the_cache_keeps_list_order_and_nested_values() -> None:
    rule = {"name": "r", "deny": "change.after.items[0].port == 22"}
    changes = [
        change("create", "File", "a", after={"items": [{"port": 22}, {"port": 80}]}),
        change("create", "File", "b", after={"items": [{"port": 80}, {"port": 22}]}),
    ]
    found = judge([policy(rule)], changes)
    assert [d.message.split(" of ")[1].split(":")[0] for d in found] == ["File/a"]
