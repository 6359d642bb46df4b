"""Policy documents that mean the same compare equal; a real change never does (table test)."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from kedge.providers.aws import policy

BASE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}],
}

SAME = [
    (
        "key order",
        {
            "Statement": [{"Resource": ["arn:aws:s3:::b/*"], "Action": ["s3:GetObject"], "Effect": "Allow"}],
            "Version": "2012-10-17",
        },
    ),
    (
        "single string instead of a one-element list",
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        },
    ),
    ("JSON text", json.dumps(BASE, indent=4)),
    ("URL-encoded JSON, as IAM returns it", urllib.parse.quote(json.dumps(BASE))),
    (
        "action case",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "S3:getobject", "Resource": "arn:aws:s3:::b/*"}],
        },
    ),
]

DIFFERENT = [
    (
        "action widened",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}],
        },
    ),
    (
        "effect flipped",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
        },
    ),
    ("Version missing means 2008-10-17", {"Statement": BASE["Statement"]}),
]


@pytest.mark.parametrize("reason, other", SAME, ids=[c[0] for c in SAME])
def test_same_meaning_compares_equal(reason, other):
    assert policy.same(BASE, other), reason
    assert policy.shown(other, BASE) == BASE  # the user's own form is reported: no false drift


@pytest.mark.parametrize("reason, other", DIFFERENT, ids=[c[0] for c in DIFFERENT])
def test_a_real_change_is_seen(reason, other):
    assert not policy.same(BASE, other), reason
    assert policy.shown(other, BASE) != BASE


def test_version_default_and_principal_account_forms():
    written = {
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}]
    }
    stored = {
        "Version": "2008-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
                "Action": ["sts:AssumeRole"],
            }
        ],
    }
    assert policy.same(written, stored)


def test_statement_order_and_condition_value_forms():
    a = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "A",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": False}},
            },
            {"Sid": "B", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
        ],
    }
    b = {
        "Version": "2012-10-17",
        "Statement": [
            a["Statement"][1],
            {**a["Statement"][0], "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}},
        ],
    }
    assert policy.same(a, b)
