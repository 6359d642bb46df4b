"""Benchmark: policy evaluation over a 10,000-change plan with 20 rules (goal < 1 s).

    .venv/bin/python bench/policy.py [--changes 10000] [--repeat 3]

The plan mixes ten kinds the way a fleet does: many resources made from a few templates
(buckets with or without encryption, security groups from a handful of rule sets, tables of
a few shapes, files with two or three modes), each with its own name and labels from a few
teams and environments. The 20 rules are the kind a platform team writes: most name their
kinds, some apply to every kind. Measured, in one process, after a warm-up parse:
- ``check_plan``: compile the rules and judge every change (the engine's plan-time cost);
- the same with one extra rule that reads ``change.name`` on every change, so no answer can
  be reused: the cost of one CEL evaluation, the worst case a rule can cause.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

from kedge.manifests import CoreDocument
from kedge.model import KindSpec, Resource, ResourceKey
from kedge.planning import Action, Change
from kedge.planning.policy import PolicyLimits, check_plan

KINDS = {
    "S3Bucket": "aws.kedge.dev/v1",
    "SecurityGroup": "aws.kedge.dev/v1",
    "IAMRole": "aws.kedge.dev/v1",
    "SQSQueue": "aws.kedge.dev/v1",
    "DynamoDBTable": "aws.kedge.dev/v1",
    "Table": "postgres.kedge.dev/v1",
    "Role": "postgres.kedge.dev/v1",
    "Database": "postgres.kedge.dev/v1",
    "File": "local.kedge.dev/v1",
    "Directory": "local.kedge.dev/v1",
}
TEAMS = ["payments", "search", "identity", "data"]
ENVS = ["prod", "staging", "dev"]

RULES: list[dict[str, Any]] = [
    {
        "name": "s3-encryption",
        "kinds": ["S3Bucket"],
        "deny": "change.action != 'delete' && !has(change.after.encryption)",
    },
    {
        "name": "s3-public",
        "kinds": ["S3Bucket"],
        "deny": "change.action != 'delete' && has(change.after.publicAccessBlock) && !change.after.publicAccessBlock.blockPublicAcls",
    },
    {
        "name": "s3-versioning-prod",
        "kinds": ["S3Bucket"],
        "warn": "change.labels.env == 'prod' && !change.after.versioning",
    },
    {
        "name": "s3-no-delete-prod",
        "kinds": ["S3Bucket"],
        "deny": "change.action == 'delete' && change.labels.env == 'prod'",
    },
    {
        "name": "sg-ssh-world",
        "kinds": ["SecurityGroup"],
        "deny": "change.action != 'delete' && change.after.ingress.exists(r, r.fromPort <= 22 && 22 <= r.toPort && '0.0.0.0/0' in r.cidrs)",
    },
    {
        "name": "sg-rdp-world",
        "kinds": ["SecurityGroup"],
        "deny": "change.action != 'delete' && change.after.ingress.exists(r, r.fromPort <= 3389 && 3389 <= r.toPort && '0.0.0.0/0' in r.cidrs)",
    },
    {
        "name": "sg-described",
        "kinds": ["SecurityGroup"],
        "warn": "change.action != 'delete' && size(change.after.description) < 5",
    },
    {
        "name": "iam-no-admin",
        "kinds": ["IAMRole"],
        "deny": "change.action != 'delete' && 'arn:aws:iam::aws:policy/AdministratorAccess' in change.after.managedPolicyArns",
    },
    {
        "name": "sqs-encrypted",
        "kinds": ["SQSQueue"],
        "warn": "change.action != 'delete' && !('KmsMasterKeyId' in change.after.attributes)",
    },
    {
        "name": "dynamo-on-demand",
        "kinds": ["DynamoDBTable"],
        "warn": "change.action != 'delete' && change.after.billingMode != 'PAY_PER_REQUEST'",
    },
    {
        "name": "table-no-drop-prod",
        "kinds": ["Table"],
        "deny": "change.action in ['delete', 'replace'] && change.labels.env == 'prod'",
    },
    {
        "name": "table-primary-key",
        "kinds": ["Table"],
        "deny": "change.action != 'delete' && !change.after.columns.exists(c, c.primaryKey)",
    },
    {
        "name": "role-no-superuser",
        "kinds": ["Role"],
        "deny": "change.action != 'delete' && change.after.superuser",
    },
    {
        "name": "role-limit",
        "kinds": ["Role"],
        "warn": "change.action != 'delete' && change.after.connectionLimit < 0",
    },
    {"name": "database-no-drop", "kinds": ["Database"], "deny": "change.action == 'delete'"},
    {
        "name": "file-world-writable",
        "kinds": ["File"],
        "deny": "change.action != 'delete' && change.after.mode.endsWith('6')",
    },
    {
        "name": "dir-world-writable",
        "kinds": ["Directory"],
        "deny": "change.action != 'delete' && change.after.mode == '0777'",
    },
    {"name": "team-label", "warn": "!has(change.labels.team)"},
    {
        "name": "env-label",
        "warn": "!has(change.labels.env) || !(change.labels.env in ['prod', 'staging', 'dev'])",
    },
    {
        "name": "prod-deletes",
        "warn": "change.action == 'delete' && has(change.labels.env) && change.labels.env == 'prod'",
    },
]
assert len(RULES) == 20

SPECS: dict[str, list[dict[str, Any]]] = {
    "S3Bucket": [
        {
            "region": "eu-west-1",
            "versioning": True,
            "encryption": {"algorithm": "aws:kms"},
            "publicAccessBlock": {"blockPublicAcls": True},
        },
        {"region": "eu-west-1", "versioning": False, "encryption": {"algorithm": "AES256"}},
        {"region": "us-east-1", "versioning": True, "encryption": {"algorithm": "aws:kms"}},
    ],
    "SecurityGroup": [
        {
            "vpc": "main",
            "description": "web servers",
            "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrs": ["0.0.0.0/0"]}],
        },
        {
            "vpc": "main",
            "description": "bastion",
            "ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrs": ["10.0.0.0/8"]}],
        },
        {
            "vpc": "main",
            "description": "database",
            "ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrs": ["10.1.0.0/16"]}],
        },
    ],
    "IAMRole": [
        {
            "assumeRolePolicy": {"Version": "2012-10-17"},
            "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        }
    ],
    "SQSQueue": [
        {"attributes": {"KmsMasterKeyId": "alias/sqs", "VisibilityTimeout": 30}},
        {"attributes": {"VisibilityTimeout": 60}},
    ],
    "DynamoDBTable": [
        {"hashKey": "id", "billingMode": "PAY_PER_REQUEST"},
        {"hashKey": "pk", "billingMode": "PROVISIONED"},
    ],
    "Table": [
        {
            "database": "app",
            "schema": "public",
            "columns": [
                {"name": "id", "type": "bigint", "primaryKey": True},
                {"name": "body", "type": "text"},
            ],
        },
        {
            "database": "app",
            "schema": "audit",
            "columns": [{"name": "id", "type": "uuid", "primaryKey": True}],
        },
    ],
    "Role": [
        {"login": True, "superuser": False, "connectionLimit": 10},
        {"login": False, "superuser": False, "connectionLimit": -1},
    ],
    "Database": [{"owner": "app", "encoding": "UTF8"}],
    "File": [
        {"path": "etc/app.conf", "content": "x", "mode": "0644"},
        {"path": "etc/key", "content": "y", "mode": "0600"},
    ],
    "Directory": [{"path": "etc", "mode": "0755"}],
}


def kinds(api_version: str, kind: str) -> KindSpec | None:
    return KindSpec(api_version, kind, {"type": "object"}) if KINDS.get(kind) == api_version else None


def make_changes(n: int) -> list[Change]:
    names = list(KINDS)
    out: list[Change] = []
    for i in range(n):
        kind = names[i % len(names)]
        key = ResourceKey(KINDS[kind], kind, f"{kind.lower()}-{i:05d}")
        spec = SPECS[kind][(i // len(names)) % len(SPECS[kind])]
        labels = {"team": TEAMS[i % len(TEAMS)], "env": ENVS[(i // 7) % len(ENVS)]}
        action = (Action.CREATE, Action.UPDATE, Action.UPDATE, Action.DELETE)[(i // 3) % 4]
        before = None if action is Action.CREATE else spec
        after = None if action is Action.DELETE else spec
        resource = None if action is Action.DELETE else Resource(key, spec, labels=labels)
        out.append(Change(action, key, before, after, resource=resource))
    return out


def timed(policies: list[CoreDocument], changes: list[Change]) -> tuple[float, int]:
    start = time.perf_counter()
    found = check_plan(policies, changes, app="fleet", kinds=kinds, limits=PolicyLimits(per_plan=60.0))
    return time.perf_counter() - start, len(found)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    changes = make_changes(args.changes)
    policies = [CoreDocument("Policy", "platform", {"rules": RULES}, file="policies.yaml", line=1)]
    timed(policies, changes[:10])  # warm-up: parser tables, first compile
    runs = [timed(policies, changes) for _ in range(args.repeat)]
    best = min(t for t, _ in runs)
    print(
        f"{args.changes} changes x {len(RULES)} rules: best {best:.3f} s, median "
        f"{statistics.median(t for t, _ in runs):.3f} s ({runs[0][1]} diagnostics)  goal < 1 s: "
        f"{'ok' if best < 1.0 else 'MISSED'}"
    )
    unique = {"name": "by-name", "warn": "change.name.startsWith('nobody-')"}
    worst = [CoreDocument("Policy", "platform", {"rules": [*RULES, unique]})]
    seconds, _ = timed(worst, changes)
    print(
        f"with one rule that reads change.name ({args.changes} distinct evaluations): {seconds:.3f} s, "
        f"{(seconds - best) / args.changes * 1e6:.0f} us per evaluation"
    )
    sys.exit(0 if best < 1.0 else 1)


if __name__ == "__main__":
    main()
