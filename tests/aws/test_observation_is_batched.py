"""Observation uses list/describe calls with filters over many ids where the API has them,
and spreads the per-resource calls over a bounded thread pool."""

from __future__ import annotations

import threading
import time

from tests.aws.helpers import target


def test_many_security_groups_are_read_with_one_call(aws):
    client = aws.connect()
    vpc = client.create(target("VPC", "main", {"cidrBlock": "10.0.0.0/16"}))
    groups = [target("SecurityGroup", f"g{i}", {"vpc": vpc.outputs["id"]}) for i in range(30)]
    created = {g.key: client.create(g) for g in groups}
    known = [target("SecurityGroup", g.key.name, g.spec, created[g.key].outputs) for g in groups]

    before = dict(client.session.calls)
    observed = client.observe_many("SecurityGroup", known)
    calls = {op: n - before.get(op, 0) for op, n in client.session.calls.items() if n - before.get(op, 0)}
    assert calls == {"DescribeSecurityGroups": 1}
    assert all(o.exists for o in observed.values())

    lost = [target("SecurityGroup", g.key.name, g.spec) for g in groups]  # no ids: found by tags
    before = dict(client.session.calls)
    assert all(o.exists for o in client.observe_many("SecurityGroup", lost).values())
    assert client.session.calls["DescribeSecurityGroups"] - before["DescribeSecurityGroups"] == 1


def test_per_bucket_reads_run_in_parallel_but_bounded(aws, fault_proxy):
    client = aws.connect(endpointURL=fault_proxy.url, maxConcurrency=4)
    buckets = [target("S3Bucket", f"shop-{i:02d}", {}) for i in range(6)]
    for b in buckets:
        client.create(b)

    in_flight = {"now": 0, "max": 0}
    lock = threading.Lock()
    original = fault_proxy._decide

    def counting(description):
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
        time.sleep(0.05)
        with lock:
            in_flight["now"] -= 1
        return original(description)

    fault_proxy._decide = counting
    before = client.api_calls
    observed = client.observe_many("S3Bucket", buckets)
    assert all(o.exists for o in observed.values())
    assert client.api_calls - before == 1 + 5 * len(buckets)  # one ListBuckets, five reads each
    assert in_flight["max"] == 4  # parallel, and never more than maxConcurrency
