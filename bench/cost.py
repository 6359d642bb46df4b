"""Benchmark: pricing 10,000 resources (goal < 300 ms beyond loading) and listing orphans among
1,000 unowned buckets (goal: one batched listing per kind; the calls are counted).

    PYTHONPATH=. .venv/bin/python bench/cost.py [--resources 10000] [--buckets 1000] [--repeat 3]

Pricing: 10,000 resources of the priced AWS kinds in four regions, as a fleet is made from a
few templates (buckets, queues, topics, tables, keys, zones, machine deployments), with usage
annotations drawn from a few dozen sizes; and the worst case, every resource with a usage of
its own, so nothing is reused. Timed: ``estimate_resources`` and the JSON of ``kedge cost``;
loading (the catalog, the manifests) is timed apart. Then what ``kedge cost`` does on a
directory of 10,000 priced resources: loading it (render), then pricing it and its JSON.

Orphans: 1,000 buckets without Kedge's tags and 10 with them on the AWS test server (moto in
server mode); Kedge's listing (``list_existing``) against the per-object way to find an owner
mark, a ListBuckets plus one GetBucketTagging per bucket, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import boto3

from kedge.cost import estimate_resources
from kedge.engine.cost import estimate_app, load_catalog
from kedge.engine.render import render
from kedge.model import Resource, ResourceKey
from kedge.providers.aws import provider
from kedge.providers.base import ConnectContext
from tests.fixtures.aws import ENV, MotoProcess

API = "aws.kedge.dev/v1"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"]
TEMPLATES = [
    ("S3Bucket", {}, "storageGB={n},requests={r}"),
    ("SQSQueue", {}, "requests={r}"),
    ("SNSTopic", {}, "requests={r},httpDeliveries={n}"),
    ("DynamoDBTable", {"hashKey": "id", "attributes": {"id": "S"}}, "storageGB={n},readRequests={r}"),
    ("DynamoDBTable", {"billingMode": "PROVISIONED", "readCapacity": 5, "writeCapacity": 5}, ""),
    ("KMSKey", {}, "requests={r}"),
    ("Route53Zone", {}, "queries={r}"),
    ("MachineDeployment", {"replicas": 3, "template": {"instanceType": "m5.large"}}, "hoursPerMonth={h}"),
]


def fleet(count: int, unique: bool) -> list[Resource]:
    out = []
    for i in range(count):
        kind, spec, usage = TEMPLATES[i % len(TEMPLATES)]
        size = i if unique else (i // len(TEMPLATES)) % 40
        text = usage.format(n=10 * (size + 1), r=100_000 * (size + 1), h=200 + size % 500)
        annotations = {"kedge.dev/usage": text} if text else {}
        out.append(
            Resource(ResourceKey(API, kind, f"{kind.lower()}-{i}"), dict(spec), annotations=annotations)
        )
    return out


def pricing(count: int, repeat: int) -> None:
    start = time.perf_counter()
    catalog = load_catalog(None)
    load = time.perf_counter() - start
    for unique in (False, True):
        resources = fleet(count, unique)
        regions = {r.key.name: REGIONS[n % len(REGIONS)] for n, r in enumerate(resources)}

        def region_of(resource: Resource, regions: dict[str, str] = regions) -> str:
            return regions[resource.key.name]

        times, cpu = [], []
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            estimate = estimate_resources(resources, catalog, region_of)
            estimate.to_json()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert len(estimate.resources) == count, estimate.unpriced[:3]
        label = "every resource its own usage" if unique else "templated fleet"
        print(
            f"price {count} resources ({label}): median {statistics.median(times) * 1000:.0f} ms "
            f"(best {min(times) * 1000:.0f} ms; CPU best {min(cpu) * 1000:.0f} ms), "
            f"total {estimate.total:,.2f} {estimate.currency}"
        )
    print(f"loading the shipped catalog: {load * 1000:.0f} ms")


def cli(count: int, repeat: int) -> None:
    """What ``kedge cost`` does on a directory of ``count`` priced resources, step by step in one
    process: loading (render: read, parse, validate) and then pricing and the JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "fleet"
        app.mkdir()
        (app / "provider.yaml").write_text(
            "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
            "spec: {provider: aws, settings: {region: eu-west-1}}\n"
        )
        per_file = 100
        for f in range(count // per_file):
            docs = [
                f"apiVersion: aws.kedge.dev/v1\nkind: {'S3Bucket' if i % 2 else 'SQSQueue'}\n"
                f"metadata:\n  name: r{f:03d}-{i:03d}\n"
                f"  annotations: {{kedge.dev/usage: \"{'storageGB' if i % 2 else 'requests'}={(i % 40) * 10 + 1}\"}}\n"
                "spec: {}\n"
                for i in range(per_file)
            ]
            (app / f"part-{f:03d}.yaml").write_text("---\n".join(docs))
        catalog = load_catalog(None)
        start = time.perf_counter()
        rendered = render(app)
        loading = time.perf_counter() - start
        assert rendered.ok, rendered.diagnostics[:3]
        times, cpu = [], []
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            json.dumps(estimate_app(rendered, catalog).to_json())
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        print(
            f"kedge cost on {count} resources in {count // per_file} files: loading {loading:.2f} s, "
            f"then pricing and JSON best {min(times) * 1000:.0f} ms (CPU {min(cpu) * 1000:.0f} ms)"
        )


def orphans(buckets: int) -> None:
    os.environ.update(ENV)
    server = MotoProcess()
    try:
        s3 = boto3.client("s3", endpoint_url=server.url)
        print(f"creating {buckets} unowned buckets and 10 owned ones ...", flush=True)
        for i in range(buckets):
            s3.create_bucket(Bucket=f"stray-{i:05d}")
        for i in range(10):
            s3.create_bucket(Bucket=f"owned-{i:02d}")
            s3.put_bucket_tagging(
                Bucket=f"owned-{i:02d}", Tagging={"TagSet": [{"Key": "kedge.dev/app", "Value": "shop"}]}
            )
        client = provider.connect({"region": "us-east-1", "endpointURL": server.url}, ConnectContext("bench"))
        try:
            client.session.client("s3")
            client.session.client("resourcegroupstaggingapi")
            before = client.api_calls
            start = time.perf_counter()
            found = client.list_existing("S3Bucket")
            kedge_s = time.perf_counter() - start
            kedge_calls = client.api_calls - before
        finally:
            client.close()
        unowned = [e for e in found if e.owner is None]
        assert len(unowned) == buckets, len(unowned)

        calls = 0
        start = time.perf_counter()
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        calls += 1
        naive_unowned = 0
        for name in names:
            calls += 1
            try:
                tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
            except s3.exceptions.ClientError:
                tags = []
            naive_unowned += not any(t["Key"] == "kedge.dev/app" for t in tags)
        naive_s = time.perf_counter() - start
        assert naive_unowned == buckets
        print(
            f"orphans among {buckets + 10} buckets, Kedge's listing : {kedge_s:6.2f} s {kedge_calls:5d} API calls"
        )
        print(
            f"orphans among {buckets + 10} buckets, per-bucket tags : {naive_s:6.2f} s {calls:5d} API calls"
        )
        print(f"ratio: {naive_s / kedge_s:.1f}x faster, {calls / kedge_calls:.0f}x fewer calls")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--buckets", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pricing(args.resources, args.repeat)
    cli(args.resources, args.repeat)
    if args.buckets:
        orphans(args.buckets)


if __name__ == "__main__":
    main()
