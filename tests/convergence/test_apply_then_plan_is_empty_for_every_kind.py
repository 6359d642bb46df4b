"""The convergence property, for every kind of every provider: after a successful ``kedge
apply`` with no change in git or in the world, ``kedge plan --detailed-exitcode`` exits 0.

One sample app per kind (``samples.py``) is applied through the real CLI against the real
target (a directory, a throwaway PostgreSQL, the AWS test server), then planned again.
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from kedge.providers import registry
from tests.convergence.samples import SAMPLES
from tests.fixtures.pg import PgCluster


def _kinds(provider: str) -> list[str]:
    return sorted(registry.get(provider).kinds)


def test_every_kind_of_every_provider_has_a_sample() -> None:
    # Providers installed through the entry point group (test-only fakes registered in-process
    # by other tests are not part of Kedge).
    installed = sorted(ep.name for ep in entry_points(group=registry.GROUP))
    missing = [f"{name}/{kind}" for name in installed for kind in _kinds(name) if (name, kind) not in SAMPLES]

    assert not missing, f"add a convergence sample to tests/convergence/samples.py for: {missing}"


def _converges(kedge, app: Path) -> None:
    applied = kedge("apply", app, "--auto-approve")
    assert applied.exit_code == 0, applied
    again = kedge("plan", app, "-o", "json", "--detailed-exitcode")
    pending = [c for c in json.loads(again.stdout or "{}").get("changes", []) if c["action"] != "noop"]
    assert again.exit_code == 0 and not pending, f"plan after apply is not empty: {pending or again}"


def _app(tmp_path: Path, provider_config: str, body: str, **values: str) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    text = body
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    (app / "app.yaml").write_text(provider_config + "---" + text)
    return app


@pytest.mark.parametrize("kind", _kinds("local"))
def test_local_kind_converges(kind: str, kedge, tmp_path: Path) -> None:
    config = (
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f"spec: {{provider: local, settings: {{root: {tmp_path / 'root'}}}}}\n"
    )
    _converges(kedge, _app(tmp_path, config, SAMPLES[("local", kind)]))


@pytest.mark.postgres
@pytest.mark.parametrize("kind", _kinds("postgres"))
def test_postgres_kind_converges(
    kind: str, kedge, pg_cluster: PgCluster, pg_name: str, tmp_path: Path
) -> None:
    config = (
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f'spec: {{provider: postgres, settings: {{dsn: "{pg_cluster.dsn()}"}}}}\n'
    )
    _converges(kedge, _app(tmp_path, config, SAMPLES[("postgres", kind)], p=pg_name))


@pytest.mark.parametrize("kind", _kinds("aws"))
def test_aws_kind_converges(kind: str, kedge, aws, tmp_path: Path) -> None:
    config = (
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f'spec: {{provider: aws, settings: {{region: us-east-1, endpointURL: "{aws.endpoint}"}}}}\n'
    )
    prefix = f"conv-{kind.lower()}"
    extra = _machine_network(aws) if kind == "MachineDeployment" else {}
    _converges(kedge, _app(tmp_path, config, SAMPLES[("aws", kind)], p=prefix, **extra))


def _machine_network(aws) -> dict[str, str]:  # type: ignore[no-untyped-def]
    ec2 = aws.boto("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="conv-nodes", Description="nodes", VpcId=vpc)["GroupId"]
    ami = ec2.register_image(Name="conv-node", RootDeviceName="/dev/xvda")["ImageId"]
    return {"ami": ami, "subnet": subnet, "group": group}


@pytest.mark.parametrize("kind", _kinds("azure"))
def test_azure_kind_converges(kind: str, kedge, azure, tmp_path: Path) -> None:
    config = (
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f"spec: {{provider: azure, settings: {json.dumps(azure.settings())}}}\n"
    )
    _converges(kedge, _app(tmp_path, config, SAMPLES[("azure", kind)], p=azure.name("conv")))


@pytest.mark.parametrize("kind", _kinds("gcp"))
def test_gcp_kind_converges(kind: str, kedge, gcs, tmp_path: Path) -> None:
    config = (
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f"spec: {{provider: gcp, settings: {json.dumps(gcs.settings())}}}\n"
    )
    _converges(kedge, _app(tmp_path, config, SAMPLES[("gcp", kind)], p=f"conv-{tmp_path.name[-8:].lower()}"))
