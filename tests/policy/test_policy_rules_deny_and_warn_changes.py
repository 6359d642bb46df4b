"""Rules see a change and deny or warn; the examples of the documentation, as a table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from .conftest import change, entry, judge, messages, policy

S3_ENCRYPTION = {
    "name": "s3-encryption",
    "kinds": ["S3Bucket"],
    "deny": "change.action != 'delete' && !has(change.after.encryption)",
    "message": "S3Bucket must have encryption",
}
NO_SSH_FROM_WORLD = {
    "name": "no-ssh-from-world",
    "kinds": ["SecurityGroup"],
    "deny": (
        "change.action != 'delete' && has(change.after.ingress) && change.after.ingress.exists(r, "
        "r.fromPort <= 22 && 22 <= r.toPort && '0.0.0.0/0' in r.cidrs)"
    ),
    "message": "no SecurityGroup ingress from 0.0.0.0/0 on port 22",
}
NO_PROD_TABLE_DROP = {
    "name": "no-prod-table-drop",
    "kinds": ["Table"],
    "deny": "change.action in ['delete', 'replace'] && has(change.labels.env) && change.labels.env == 'prod'",
    "message": "no Table drop in apps labelled env=prod",
}
OPEN_INGRESS = [{"protocol": "tcp", "fromPort": 20, "toPort": 23, "cidrs": ["10.0.0.0/8", "0.0.0.0/0"]}]


@dataclass
class Case:
    reason: str
    rule: dict[str, Any]
    change: Any
    denied: bool
    inventory: list[Any] = field(default_factory=list)


CASES = [
    Case(
        "a bucket created without encryption is denied",
        S3_ENCRYPTION,
        change("create", "S3Bucket", after={"region": "eu-west-1"}),
        True,
    ),
    Case(
        "a bucket created with encryption passes",
        S3_ENCRYPTION,
        change("create", "S3Bucket", after={"encryption": {"algorithm": "aws:kms"}}),
        False,
    ),
    Case(
        "deleting an unencrypted bucket is not this rule's business",
        S3_ENCRYPTION,
        change("delete", "S3Bucket", before={"region": "x"}),
        False,
    ),
    Case(
        "the rule does not look at other kinds",
        S3_ENCRYPTION,
        change("create", "SecurityGroup", after={}),
        False,
    ),
    Case(
        "ssh open to the world is denied",
        NO_SSH_FROM_WORLD,
        change("update", "SecurityGroup", before={"ingress": []}, after={"ingress": OPEN_INGRESS}),
        True,
    ),
    Case(
        "ssh open to a private range passes",
        NO_SSH_FROM_WORLD,
        change(
            "create",
            "SecurityGroup",
            after={"ingress": [{"fromPort": 22, "toPort": 22, "cidrs": ["10.0.0.0/8"]}]},
        ),
        False,
    ),
    Case(
        "https open to the world passes",
        NO_SSH_FROM_WORLD,
        change(
            "create",
            "SecurityGroup",
            after={"ingress": [{"fromPort": 443, "toPort": 443, "cidrs": ["0.0.0.0/0"]}]},
        ),
        False,
    ),
    Case(
        "dropping a prod table is denied (labels of a delete come from the inventory)",
        NO_PROD_TABLE_DROP,
        change("delete", "Table", "orders", before={"columns": []}),
        True,
        [entry("Table", "orders", {"columns": []}, {"env": "prod"})],
    ),
    Case(
        "replacing a prod table is denied",
        NO_PROD_TABLE_DROP,
        change("replace", "Table", "orders", before={}, after={"columns": []}, labels={"env": "prod"}),
        True,
    ),
    Case(
        "dropping a staging table passes",
        NO_PROD_TABLE_DROP,
        change("delete", "Table", "orders", before={}),
        False,
        [entry("Table", "orders", {}, {"env": "staging"})],
    ),
    Case(
        "a rule without kinds sees every kind",
        {"name": "all", "deny": "change.kind == 'File'"},
        change("create", "File", after={}),
        True,
    ),
    Case(
        "kinds may be written apiVersion/Kind",
        {"name": "q", "kinds": ["local.kedge.dev/v1/File"], "deny": "true"},
        change("create", "File", after={}),
        True,
    ),
    Case(
        "a no-op is not a change",
        {"name": "all", "deny": "true"},
        change("noop", "File", before={}, after={}),
        False,
    ),
    Case(
        "a delete that only forgets the object is not checked",
        {"name": "all", "deny": "true"},
        change("delete", "File", before={}, forget_only=True),
        False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.reason for c in CASES])
def test_rule_table(case: Case) -> None:
    found = judge([policy(case.rule)], [case.change], inventory=case.inventory)
    denials = [m for m in messages(found, "error") if " denies " in m]
    assert bool(denials) == case.denied, (case.reason, found)
    assert not [m for m in messages(found, "error") if " denies " not in m], found


def test_a_denial_names_policy_rule_action_resource_and_message_at_the_policy_line() -> None:
    [d] = judge(
        [policy(S3_ENCRYPTION, file="guard/policies.yaml", line=7)],
        [change("create", "S3Bucket", "logs", after={})],
    )
    assert d.is_error
    assert (
        d.message
        == "policy guard/s3-encryption denies create of S3Bucket/logs: S3Bucket must have encryption"
    )
    assert (d.file, d.line) == ("guard/policies.yaml", 7)


def test_a_warning_does_not_block_and_says_warns() -> None:
    rule = {
        "name": "tagged",
        "kinds": ["S3Bucket"],
        "warn": "!has(change.after.tags)",
        "message": "tag your buckets",
    }
    [d] = judge([policy(rule)], [change("create", "S3Bucket", "logs", after={"encryption": {}})])
    assert d.severity.value == "warning"
    assert d.message == "policy guard/tagged warns on create of S3Bucket/logs: tag your buckets"


def test_a_rule_without_message_quotes_its_expression() -> None:
    [d] = judge(
        [policy({"name": "r", "deny": "change.name == 'x'"})], [change("create", "File", "x", after={})]
    )
    assert d.message.endswith("denies create of File/x: deny: change.name == 'x'")


def test_the_change_exposes_app_app_labels_api_version_and_before() -> None:
    rule = {
        "name": "fields",
        "deny": (
            "change.app == 'shop' && change.appLabels.env == 'prod' && change.apiVersion == 'local.kedge.dev/v1'"
            " && change.before.mode == '0644' && change.after.mode == '0600'"
        ),
    }
    c = change("update", "File", before={"mode": "0644"}, after={"mode": "0600"})
    assert messages(judge([policy(rule)], [c], app="shop", app_labels={"env": "prod"}), "error")
    assert not messages(judge([policy(rule)], [c], app="shop", app_labels={"env": "dev"}), "error")


def test_every_denied_change_is_listed_and_rules_of_several_policies_combine() -> None:
    changes = [change("create", "S3Bucket", f"b{i}", after={}) for i in range(30)]
    other = policy(
        {"name": "names", "kinds": ["S3Bucket"], "warn": "change.name.startsWith('b1')"}, name="style"
    )
    found = judge([policy(S3_ENCRYPTION), other], changes)
    assert len([m for m in messages(found, "error") if "denies" in m]) == 30
    assert len(messages(found, "warning")) == 11  # b1, b10..b19
