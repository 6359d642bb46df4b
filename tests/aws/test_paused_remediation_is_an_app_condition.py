"""A controller-managed app whose MachineDeployment has too many unhealthy instances shows a
RemediationPaused condition naming them; it clears once the instances are healthy again."""

from __future__ import annotations

import json

import pytest

from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.engine.retry import RetryPolicy
from kedge.manifests import CoreDocument
from kedge.sources import LocalSources
from kedge.store import Store
from tests.controller.conftest import GitRepo, wait_for


@pytest.fixture
def controller(tmp_path, aws):
    config = CoreDocument(
        "ProviderConfig", "default", {"provider": "aws", "settings": aws.settings()}, {}, {}, None, None
    )
    store = Store.open(str(tmp_path / "state.db"))
    engine = Engine(store, extra_configs=[config], retry=RetryPolicy(attempts=2, base=0.01))
    made = Controller(
        store,
        engine,
        cache_dir=tmp_path / "git-cache",
        backoff_base=0.05,
        backoff_cap=0.5,
        local_sources=LocalSources.under([tmp_path]),
    )
    made.start()
    yield made
    made.stop()
    engine.close()
    store.close()


def test_remediation_paused_is_shown_on_the_app(controller, tmp_path, aws):
    ec2 = aws.boto("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    image = ec2.register_image(Name="node", RootDeviceName="/dev/xvda")["ImageId"]
    doc = {
        "apiVersion": "aws.kedge.dev/v1",
        "kind": "MachineDeployment",
        "metadata": {"name": "workers"},
        "spec": {
            "replicas": 2,
            "template": {"imageId": image, "instanceType": "t3.micro", "subnet": subnet},
            "healthCheck": {"maxUnhealthy": 0},
        },
    }
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"app.yaml": json.dumps(doc)})
    spec = {
        "source": {"repoURL": str(repo.path), "targetRevision": "main", "path": ".", "pollInterval": "1s"},
        "syncPolicy": {"automated": True, "selfHeal": True, "driftInterval": "1s"},
    }
    controller.create_app("fleet", spec, actor="tester")
    wait_for(lambda: controller.get_app("fleet")["status"]["sync"] == "Synced", timeout=30)
    reservations = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])
    ids = sorted(i["InstanceId"] for r in reservations["Reservations"] for i in r["Instances"])
    assert len(ids) == 2
    ec2.stop_instances(InstanceIds=[ids[0]])

    def paused():
        conditions = controller.get_app("fleet")["status"]["conditions"]
        return next((c for c in conditions if c["type"] == "RemediationPaused"), None)

    condition = wait_for(paused, timeout=30)
    assert condition["status"] == "True"
    assert "MachineDeployment/workers" in condition["message"] and ids[0] in condition["message"]
    assert wait_for(lambda: controller.get_app("fleet")["status"]["health"] == "Degraded", timeout=10)

    ec2.start_instances(InstanceIds=[ids[0]])
    wait_for(lambda: paused() is None, timeout=30, message="condition cleared")
    wait_for(lambda: controller.get_app("fleet")["status"]["health"] == "Healthy", timeout=10)
