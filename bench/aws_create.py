"""Benchmark: create resources with dependencies (VPCs -> subnets and security groups) with
``kedge apply``, and compare the wall time with the critical path of API calls.

    PYTHONPATH=. .venv/bin/python bench/aws_create.py --vpcs 40 [--latency-ms 20]

Each VPC gets two subnets and two security groups (with an ingress rule), so ``--vpcs 40``
makes 200 resources. The app is applied by the real ``kedge`` command against moto (in its own
process on 127.0.0.1) through the fault proxy, which counts every request and times it (and
adds ``--latency-ms`` to each, as a real region's round trip would).

The critical path is the longest chain of calls that must follow one another: observing each
dependency layer, then CreateVpc -> CreateSecurityGroup -> AuthorizeSecurityGroupIngress. Its
time is that chain's length times the median time of a request made alone; it is the floor no
scheduler can beat. A one-VPC app is applied first to show the fixed cost of the command
(process start, state store).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

from tests.fixtures.aws import ENV, ROOT, MotoProcess
from tests.fixtures.faultproxy import FaultProxy

CHAIN = [
    "DescribeVpcs",
    "DescribeSubnets",
    "CreateVpc",
    "CreateSecurityGroup",
    "AuthorizeSecurityGroupIngress",
]


def manifests(vpcs: int, endpoint: str) -> str:
    docs = [
        f"""apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {{name: default}}
spec:
  provider: aws
  settings: {{region: us-east-1, endpointURL: "{endpoint}"}}
"""
    ]
    for v in range(vpcs):
        ref = f"{{fromResource: {{kind: VPC, name: v{v}, field: id}}}}"
        docs.append(f"""apiVersion: aws.kedge.dev/v1
kind: VPC
metadata: {{name: v{v}}}
spec: {{cidrBlock: 10.{v}.0.0/16}}
""")
        for i in range(2):
            docs.append(f"""apiVersion: aws.kedge.dev/v1
kind: Subnet
metadata: {{name: v{v}-s{i}}}
spec: {{vpc: {ref}, cidrBlock: 10.{v}.{i}.0/24}}
""")
            docs.append(f"""apiVersion: aws.kedge.dev/v1
kind: SecurityGroup
metadata: {{name: v{v}-g{i}}}
spec:
  vpc: {ref}
  ingress: [{{protocol: tcp, fromPort: {443 + i}, cidrs: [10.{v}.0.0/16]}}]
""")
    return "---\n".join(docs)


def fresh(server: MotoProcess) -> None:
    """A reset server, its EC2 backend already built (the first call of a fresh one is slow)."""
    server.reset()
    boto3.client("ec2", endpoint_url=server.url, region_name="us-east-1").describe_vpcs()


def apply(directory: Path, proxy: FaultProxy, vpcs: int) -> tuple[float, int, float]:
    directory.mkdir(parents=True)
    (directory / "app.yaml").write_text(manifests(vpcs, proxy.url))
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT)}
    proxy.clear()
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kedge.cli.main",
            "apply",
            str(directory),
            "--auto-approve",
            "--db",
            str(directory / "state.db"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"kedge apply failed:\n{result.stdout}\n{result.stderr}")
    durations = [seconds for _, _, seconds in proxy.timings]
    return elapsed, len(proxy.seen), statistics.median(durations) if durations else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vpcs", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    os.environ.update(ENV)
    server = MotoProcess()
    proxy = FaultProxy(server.url)
    proxy.latency = args.latency_ms / 1000
    try:
        with tempfile.TemporaryDirectory() as tmp:
            fresh(server)
            apply(Path(tmp) / "warm-up", proxy, 1)
            fresh(server)
            one_s, one_calls, unloaded = apply(Path(tmp) / "one", proxy, 1)
            fresh(server)
            wall, calls, median = apply(Path(tmp) / "all", proxy, args.vpcs)
        critical = len(CHAIN) * unloaded
        print(
            f"latency per request: {args.latency_ms:.0f} ms; median request time alone "
            f"{unloaded * 1000:.1f} ms, under the 200-resource load {median * 1000:.1f} ms"
        )
        print(
            f"1 VPC + 4 dependants : {one_s:6.2f} s wall, {one_calls:4d} API calls (mostly the command's start)"
        )
        print(f"{args.vpcs * 5:<3d} resources        : {wall:6.2f} s wall, {calls:4d} API calls")
        print(f"critical path        : {len(CHAIN)} calls x {unloaded * 1000:.1f} ms = {critical:.2f} s")
        print(
            f"wall - fixed cost    : {wall - one_s:6.2f} s for {calls - one_calls} more calls "
            f"({(wall - one_s) / max(1, calls - one_calls) * 1000:.1f} ms per extra call)"
        )
    finally:
        proxy.close()
        server.stop()


if __name__ == "__main__":
    main()
