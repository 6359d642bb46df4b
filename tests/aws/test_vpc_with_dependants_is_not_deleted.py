"""Deleting a VPC that still has subnets or groups fails with an error naming them; deleting
in dependency order (dependants first) succeeds."""

from __future__ import annotations

import pytest

from kedge.model import ProviderError
from tests.aws.helpers import converge, observe, target


def test_vpc_with_dependants_names_them_and_survives(aws):
    client = aws.connect()
    vpc, _ = converge(client, target("VPC", "main", {"cidrBlock": "10.0.0.0/16"}))
    subnet, _ = converge(
        client, target("Subnet", "a", {"vpc": vpc.outputs["id"], "cidrBlock": "10.0.1.0/24"})
    )
    group, _ = converge(client, target("SecurityGroup", "web", {"vpc": vpc.outputs["id"]}))

    with pytest.raises(ProviderError) as err:
        client.delete(vpc, observe(client, vpc))
    message = str(err.value)
    assert f"VPC/main: VPC {vpc.outputs['id']} still has dependants" in message
    assert f"{subnet.outputs['id']} (Subnet/a)" in message
    assert f"{group.outputs['id']} (SecurityGroup/web)" in message
    assert err.value.temporary  # the engine may be deleting the dependants right now
    assert observe(client, vpc).exists

    for dependant in (group, subnet, vpc):
        client.delete(dependant, observe(client, dependant))
    assert not observe(client, vpc).exists
    assert (
        aws.boto("ec2").describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc.outputs["id"]]}])["Vpcs"]
        == []
    )


def test_deleting_what_is_already_gone_is_fine(aws):
    client = aws.connect()
    vpc, observed = converge(client, target("VPC", "main", {"cidrBlock": "10.0.0.0/16"}))
    aws.boto("ec2").delete_vpc(VpcId=vpc.outputs["id"])
    client.delete(vpc, observed)


def test_pruned_record_is_found_and_deleted_from_its_recorded_zone(aws):
    """A resource being pruned comes with its spec as written (references unresolved)."""
    client = aws.connect()
    zone, _ = converge(client, target("Route53Zone", "shop.example.com", {}))
    spec = {"zone": zone.outputs["id"], "name": "www.shop.example.com", "type": "A", "records": ["192.0.2.1"]}
    record, _ = converge(client, target("Route53Record", "www", spec))
    as_written = {
        **spec,
        "zone": {"fromResource": {"kind": "Route53Zone", "name": "shop.example.com", "field": "id"}},
    }
    leftover = target("Route53Record", "www", as_written, record.outputs)
    observed = observe(client, leftover)
    assert observed.exists
    client.delete(leftover, observed)
    assert not observe(client, leftover).exists
    client.delete(zone, observe(client, zone))
    assert not observe(client, zone).exists
