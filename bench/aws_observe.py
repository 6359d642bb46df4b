"""Benchmark: observe N S3 buckets and N security groups with Kedge vs a naive boto3 loop.

Both read the same attributes of every bucket (location, tags, versioning, encryption, public
access block, policy) and every group (rules, tags). The naive loop calls one API after the
other, one group per DescribeSecurityGroups; Kedge batches the groups into one filtered
describe and spreads the bucket reads over its thread pool.

    PYTHONPATH=. .venv/bin/python bench/aws_observe.py --buckets 500 --groups 500 [--latency-ms 20]

``--latency-ms`` puts the fault proxy in front of the test server and delays every request,
as a real region's round trip would; 0 talks to the test server directly. The server is moto
in its own process on 127.0.0.1; everything stops when the script ends.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import boto3

from kedge.model import ResourceKey
from kedge.providers.aws import provider
from kedge.providers.base import ConnectContext, Target
from tests.fixtures.aws import ENV, MotoProcess
from tests.fixtures.faultproxy import FaultProxy

API = "aws.kedge.dev/v1"


def target(kind: str, name: str, spec: dict[str, Any], outputs: dict[str, Any] | None = None) -> Target:
    return Target(ResourceKey(API, kind, name), name, spec, outputs or {}, {})


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, **_: Any) -> None:
        self.calls += 1


def naive(endpoint: str, buckets: list[str], group_ids: list[str]) -> tuple[float, int]:
    counter = Counter()
    s3 = boto3.client("s3", endpoint_url=endpoint)
    ec2 = boto3.client("ec2", endpoint_url=endpoint)
    for client in (s3, ec2):
        client.meta.events.register("before-send", counter)
    start = time.perf_counter()
    for name in buckets:
        s3.get_bucket_location(Bucket=name)
        s3.get_bucket_tagging(Bucket=name)
        s3.get_bucket_versioning(Bucket=name)
        s3.get_bucket_encryption(Bucket=name)
        s3.get_public_access_block(Bucket=name)
        try:
            s3.get_bucket_policy(Bucket=name)
        except s3.exceptions.ClientError:
            pass
    for group_id in group_ids:
        ec2.describe_security_groups(GroupIds=[group_id])
    return time.perf_counter() - start, counter.calls


def kedge(endpoint: str, buckets: list[Target], groups: list[Target], concurrency: int) -> tuple[float, int]:
    client = provider.connect(
        {"region": "us-east-1", "endpointURL": endpoint, "maxConcurrency": concurrency},
        ConnectContext("bench"),
    )
    try:
        client.observe_many("S3Bucket", buckets[:1])  # create the boto3 clients outside the timing
        client.observe_many("SecurityGroup", groups[:1])
        before = client.api_calls
        start = time.perf_counter()
        seen = client.observe_many("S3Bucket", buckets)
        seen_groups = client.observe_many("SecurityGroup", groups)
        elapsed = time.perf_counter() - start
        assert all(o.exists for o in seen.values()) and all(o.exists for o in seen_groups.values())
        return elapsed, client.api_calls - before
    finally:
        client.close()


def setup(endpoint: str, n_buckets: int, n_groups: int) -> tuple[list[Target], list[Target]]:
    client = provider.connect(
        {"region": "us-east-1", "endpointURL": endpoint, "maxConcurrency": 16}, ConnectContext("bench")
    )
    buckets = [
        target("S3Bucket", f"bench-{i:04d}", {"versioning": i % 2 == 0, "tags": {"n": str(i)}})
        for i in range(n_buckets)
    ]
    client.ctx.map(client.create, buckets)
    vpc = client.create(target("VPC", "bench", {"cidrBlock": "10.0.0.0/16"}))
    groups = [
        target(
            "SecurityGroup",
            f"g{i:04d}",
            {
                "vpc": vpc.outputs["id"],
                "ingress": [{"protocol": "tcp", "fromPort": 443, "cidrs": [f"10.{i // 250}.{i % 250}.0/24"]}],
            },
        )
        for i in range(n_groups)
    ]
    made = [client.create(g) for g in groups]  # one at a time: the test server's EC2 is not thread-safe
    client.close()
    return buckets, [
        target(g.key.kind, g.key.name, dict(g.spec), dict(m.outputs))
        for g, m in zip(groups, made, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=500)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    os.environ.update(ENV)
    server = MotoProcess()
    proxy = None
    try:
        endpoint = server.url
        if args.latency_ms:
            proxy = FaultProxy(server.url)
            endpoint = proxy.url
        print(f"setting up {args.buckets} buckets and {args.groups} security groups ...", flush=True)
        buckets, groups = setup(server.url, args.buckets, args.groups)
        if proxy is not None:
            proxy.latency = args.latency_ms / 1000
        naive_s, naive_calls = naive(
            endpoint, [b.external_id for b in buckets], [g.outputs["id"] for g in groups]
        )
        kedge_s, kedge_calls = kedge(endpoint, buckets, groups, args.concurrency)
        print(f"latency per request: {args.latency_ms:.0f} ms, Kedge pool: {args.concurrency} threads")
        print(f"naive boto3 loop : {naive_s:7.2f} s  {naive_calls:5d} API calls")
        print(f"kedge observe    : {kedge_s:7.2f} s  {kedge_calls:5d} API calls")
        print(f"speed-up         : {naive_s / kedge_s:7.1f} x")
    finally:
        if proxy is not None:
            proxy.close()
        server.stop()


if __name__ == "__main__":
    main()
