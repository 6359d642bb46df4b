"""The app page lists each claim with its composed resources under it; the claim shows the worst
status of its resources, and plain resources stay out of the tree."""

from __future__ import annotations

import re

from kedge.ui import graph
from kedge.ui.claims import claim_tree
from kedge.ui.render import page

RESOURCES = [
    {
        "apiVersion": "aws.kedge.dev/v1",
        "kind": "S3Bucket",
        "name": "invoices-data",
        "status": "Synced",
        "dependsOn": [],
        "claim": {"kind": "ObjectStore", "name": "invoices"},
    },
    {
        "apiVersion": "aws.kedge.dev/v1",
        "kind": "S3Bucket",
        "name": "invoices-logs",
        "status": "Missing",
        "dependsOn": [],
        "claim": {"kind": "ObjectStore", "name": "invoices"},
    },
    {
        "apiVersion": "postgres.kedge.dev/v1",
        "kind": "Role",
        "name": "orders_owner",
        "status": "Synced",
        "dependsOn": [],
        "claim": {"kind": "PostgresDatabase", "name": "orders"},
    },
    {
        "apiVersion": "local.kedge.dev/v1",
        "kind": "File",
        "name": "motd",
        "status": "OutOfSync",
        "dependsOn": [],
        "claim": None,
    },
]


def test_claims_hold_their_resources_and_their_worst_status() -> None:
    tree = claim_tree(RESOURCES)
    assert [(c.kind, c.name, c.status) for c in tree] == [
        ("ObjectStore", "invoices", "Missing"),
        ("PostgresDatabase", "orders", "Synced"),
    ]
    assert [r["name"] for r in tree[0].resources] == ["invoices-data", "invoices-logs"]


def test_the_graph_fragment_draws_the_tree() -> None:
    html = page(
        "_graph.html",
        name="shop",
        resources=RESOURCES,
        graph=graph.layout(RESOURCES),
        claims=claim_tree(RESOURCES),
    )
    section = re.search(r'<section class="claims".*?</section>', html, re.S)
    assert section is not None
    text = section.group(0)
    invoices = re.search(r"<li class=\"claim\">.*?ObjectStore/invoices.*?</ul>", text, re.S)
    assert invoices is not None and ">Missing<" in invoices.group(0)
    assert "S3Bucket/invoices-data" in invoices.group(0) and "S3Bucket/invoices-logs" in invoices.group(0)
    assert "File/motd" not in text


def test_no_tree_without_claims() -> None:
    plain = [RESOURCES[-1]]
    html = page(
        "_graph.html", name="shop", resources=plain, graph=graph.layout(plain), claims=claim_tree(plain)
    )
    assert 'class="claims"' not in html


def test_a_claim_with_an_error_shows_its_message() -> None:
    last = [
        {"kind": "ObjectStore", "name": "invoices", "status": "Missing", "resources": [], "message": ""},
        {
            "kind": "ObjectStore",
            "name": "broken",
            "status": "Error",
            "resources": [],
            "message": "claims.yaml:7: spec.size: 'huge' is not one of ['small', 'large']",
        },
    ]
    tree = claim_tree(RESOURCES, last)
    assert [(c.name, c.status) for c in tree][-1] == ("broken", "Error")
    html = page("_graph.html", name="shop", resources=RESOURCES, graph=graph.layout(RESOURCES), claims=tree)
    assert "ObjectStore/broken" in html and "claims.yaml:7: spec.size" in html
