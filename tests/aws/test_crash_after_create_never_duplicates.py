"""Resources named by AWS are found again through their ownership tags: if Kedge dies between
the create call and writing the id down, the next reconcile observes the resource it made
instead of making a second one."""

from __future__ import annotations

import pytest

from tests.aws.helpers import converge, observe, target


@pytest.mark.parametrize(
    "kind, name, spec",
    [
        ("VPC", "main", {"cidrBlock": "10.0.0.0/16"}),
        ("KMSKey", "data", {"description": "data"}),
        ("Route53Zone", "shop.example.com", {}),
    ],
)
def test_lost_outputs_are_recovered_from_tags(aws, kind, name, spec):
    client = aws.connect()
    t = target(kind, name, spec)
    made = client.create(t)  # ... and the process is killed before the id is stored

    after_restart = aws.connect()
    observed = observe(after_restart, t)  # the target carries no outputs: they were lost
    assert observed.exists and observed.owner == "shop"
    assert observed.outputs["id"] == made.outputs["id"]


def test_a_subnet_and_group_are_found_again_too(aws):
    client = aws.connect()
    vpc, _ = converge(client, target("VPC", "main", {"cidrBlock": "10.0.0.0/16"}))
    subnet = target("Subnet", "a", {"vpc": vpc.outputs["id"], "cidrBlock": "10.0.1.0/24"})
    group = target("SecurityGroup", "web", {"vpc": vpc.outputs["id"]})
    made = {subnet.key: client.create(subnet), group.key: client.create(group)}
    again = aws.connect().observe_many("Subnet", [subnet]) | aws.connect().observe_many(
        "SecurityGroup", [group]
    )
    assert {k: o.outputs["id"] for k, o in again.items()} == {k: a.outputs["id"] for k, a in made.items()}


def test_another_apps_vpc_is_not_mistaken_for_ours(aws):
    other = aws.connect(app="billing")
    other.create(target("VPC", "main", {"cidrBlock": "10.1.0.0/16"}))
    mine = aws.connect(app="shop")
    assert not observe(mine, target("VPC", "main", {"cidrBlock": "10.0.0.0/16"})).exists


def test_an_existing_vpc_is_adopted_by_id(aws):
    vpc_id = aws.boto("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    client = aws.connect()
    t = target(
        "VPC",
        "legacy",
        {"cidrBlock": "10.9.0.0/16", "tags": {"team": "net"}},
        external_name=vpc_id,
        adopt="true",
    )
    observed = observe(client, t)
    assert observed.exists and observed.owner is None  # unowned: only an adopting plan takes it
    t, after = converge(client, t)
    assert after.owner == "shop" and after.state["tags"] == {"team": "net"}
