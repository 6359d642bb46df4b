"""resolve_references puts known outputs in place of references and UNKNOWN for the rest."""

from __future__ import annotations

from kedge.manifests import resolve_references
from kedge.model import UNKNOWN, Reference, ResourceKey, Secret

VPC = ResourceKey("aws.kedge.dev/v1", "VPC", "main")


def test_known_outputs_replace_references_anywhere_in_the_spec() -> None:
    spec = {
        "vpc": Reference("VPC", "main", "id"),
        "rules": [{"cidr": Reference("VPC", "main", "cidr")}, "literal"],
        "nested": {"address": Reference("Db", "pg", "endpoint.address")},
    }
    outputs = {
        VPC: {"id": "vpc-123", "cidr": "10.0.0.0/16"},
        ("Db", "pg"): {"endpoint": {"address": "db:5432"}},
    }

    resolved = resolve_references(spec, outputs)

    assert resolved == {
        "vpc": "vpc-123",
        "rules": [{"cidr": "10.0.0.0/16"}, "literal"],
        "nested": {"address": "db:5432"},
    }
    assert spec["vpc"] == Reference("VPC", "main", "id")  # the input is left alone


def test_outputs_not_known_yet_are_unknown() -> None:
    spec = {"a": Reference("VPC", "main", "id"), "b": Reference("VPC", "main", "missing"), "c": 1}

    resolved = resolve_references(spec, {})
    partly = resolve_references(spec, {VPC: {"id": "vpc-1"}})

    assert resolved == {"a": UNKNOWN, "b": UNKNOWN, "c": 1}
    assert partly == {"a": "vpc-1", "b": UNKNOWN, "c": 1}


def test_secrets_pass_through_untouched() -> None:
    secret = Secret("pw", source="fromEnv PW")
    spec = {"password": secret, "ref": Reference("VPC", "main", "id")}

    resolved = resolve_references(spec, {VPC: {"id": "vpc-9"}})

    assert resolved["password"] is secret
    assert resolved["ref"] == "vpc-9"
