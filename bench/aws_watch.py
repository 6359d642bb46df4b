"""Benchmark: out-of-band ``AuthorizeSecurityGroupIngress`` -> reverted by the controller.

    .venv/bin/python bench/aws_watch.py [--samples 20] [--sweep-samples 0]

A real controller (queue, workers, watches) keeps a git app with a VPC and a SecurityGroup on
the AWS test server (moto, in its own process). The ProviderConfig names an SQS queue that an
EventBridge rule fills with CloudTrail's "AWS API Call via CloudTrail" events. Each sample opens
port 22 on the group behind Kedge's back and puts on the bus the event CloudTrail would deliver
(the test server has no CloudTrail), then waits until the rule is gone again. Goal: p50 < 2 s.

``--sweep-samples N`` measures the same without the queue (drift found by the 30 s sweep); each
such sample takes up to 30 s. CloudTrail's own delivery delay (seconds, at times minutes, in a
real region) comes on top of the figures with the queue: they are Kedge's share.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3

from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.manifests import CoreDocument
from kedge.sources import LocalSources
from kedge.store import Store
from tests.controller.conftest import GitRepo
from tests.fixtures.aws import ENV, MotoProcess

PATTERN = {"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"]}
APP = """
apiVersion: aws.kedge.dev/v1
kind: VPC
metadata: {name: main}
spec: {cidrBlock: 10.0.0.0/16}
---
apiVersion: aws.kedge.dev/v1
kind: SecurityGroup
metadata: {name: web}
spec:
  vpc: {fromResource: {kind: VPC, name: main, field: id}}
  ingress:
    - {protocol: tcp, fromPort: 443, cidrs: [0.0.0.0/0]}
"""


def wait(predicate: Callable[[], bool], timeout: float = 60.0) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise SystemExit("timed out")
        time.sleep(0.01)
    return time.perf_counter() - start


def summary(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return (f"{name}: n={len(samples)} p50={statistics.median(samples) * 1000:.0f} ms "
            f"p99={p99 * 1000:.0f} ms max={samples[-1] * 1000:.0f} ms")


def measure(endpoint: str, samples: int, queue: str | None) -> list[float]:
    work = Path(tempfile.mkdtemp(prefix="kedge-bench-"))
    ec2 = boto3.client("ec2", endpoint_url=endpoint)
    events = boto3.client("events", endpoint_url=endpoint)
    repo = GitRepo(work / "repo")
    repo.commit({"app.yaml": APP})
    settings = {"region": "us-east-1", "endpointURL": endpoint, **({"eventQueue": queue} if queue else {})}
    config = CoreDocument("ProviderConfig", "default", {"provider": "aws", "settings": settings}, {}, {}, None, None)
    store = Store.open(str(work / "state.db"))
    engine = Engine(store, extra_configs=[config])
    controller = Controller(store, engine, cache_dir=work / "git", local_sources=LocalSources.under([work]))
    controller.start()
    name = "net-watch" if queue else "net-sweep"
    spec = {"source": {"repoURL": str(repo.path), "targetRevision": "main"},
            "syncPolicy": {"automated": True, "selfHeal": True, "driftInterval": "30s"}}
    try:
        controller.create_app(name, spec, actor="bench")
        wait(lambda: controller.get_app(name)["status"]["sync"] == "Synced")
        group = ec2.describe_security_groups(
            Filters=[{"Name": "tag:kedge.dev/app", "Values": [name]}])["SecurityGroups"][0]["GroupId"]

        def open_ports() -> int:
            perms = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
            return sum(1 for p in perms if p.get("FromPort") == 22)

        time.sleep(1.0)
        out = []
        for _ in range(samples):
            start = time.perf_counter()
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            detail = {"eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
                      "requestParameters": {"groupId": group}, "userAgent": "aws-cli/2.15"}
            events.put_events(Entries=[{"Source": "aws.ec2", "DetailType": "AWS API Call via CloudTrail",
                                        "Detail": json.dumps(detail)}])
            wait(lambda: open_ports() == 0)
            out.append(time.perf_counter() - start)
            time.sleep(0.2)
        return out
    finally:
        controller.stop()
        engine.close()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--sweep-samples", type=int, default=0)
    args = parser.parse_args()
    os.environ.update(ENV)
    server = MotoProcess()
    try:
        sqs = boto3.client("sqs", endpoint_url=server.url)
        url = sqs.create_queue(QueueName="kedge-events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = boto3.client("events", endpoint_url=server.url)
        events.put_rule(Name="kedge-drift", EventPattern=json.dumps(PATTERN))
        events.put_targets(Rule="kedge-drift", Targets=[{"Id": "queue", "Arn": arn}])
        lines = [summary("AuthorizeSecurityGroupIngress -> reverted, event queue", measure(server.url, args.samples, "kedge-events"))]
        if args.sweep_samples:
            lines.append(summary("AuthorizeSecurityGroupIngress -> reverted, 30 s sweep only",
                                 measure(server.url, args.sweep_samples, None)))
        print("\n".join(lines))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
