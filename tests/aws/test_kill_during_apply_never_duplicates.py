"""kill -9 of ``kedge apply`` after AWS made a VPC but before Kedge wrote its id down: the next
apply finds the VPC by its ownership tags and makes no second one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.aws.test_cli_applies_aws_apps import app_dir, summary

APP = """
apiVersion: aws.kedge.dev/v1
kind: VPC
metadata: {name: main}
spec: {cidrBlock: 10.0.0.0/16, tags: {team: net}}
"""


def owned_vpcs(aws):
    return aws.boto("ec2").describe_vpcs(
        Filters=[{"Name": "tag:kedge.dev/resource", "Values": ["VPC/main"]}]
    )["Vpcs"]


def test_kill_between_create_and_state_write(kedge, tmp_path, aws, fault_proxy):
    app = app_dir(tmp_path, aws, APP, endpoint=fault_proxy.url)
    db = tmp_path / "state.db"
    stall = fault_proxy.add(r"^ec2:CreateVpc ", action="stall-after", delay=10, times=1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kedge.cli.main", "apply", str(app), "--auto-approve", "--db", str(db)],
        env={**aws.manifest_env(), "PYTHONPATH": os.getcwd()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (stall.hits and owned_vpcs(aws)):
            assert proc.poll() is None, "apply ended before the create call"
            assert time.monotonic() < deadline, "the create call never came"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert len(owned_vpcs(aws)) == 1

    result = kedge("apply", app, "--auto-approve", "--db", str(db))
    assert result.exit_code == 0, result
    assert len(owned_vpcs(aws)) == 1
    assert summary(kedge, app, "--db", str(db)) == {
        "create": 0,
        "update": 0,
        "replace": 0,
        "delete": 0,
        "noop": 1,
    }
