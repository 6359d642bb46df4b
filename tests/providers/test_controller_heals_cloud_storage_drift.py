"""Through the controller (git source, engine, state store): a change made behind Kedge's
back to an Azure container or a GCS bucket is found by the drift check and reverted."""

from __future__ import annotations

from pathlib import Path

import pytest

from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.engine.retry import RetryPolicy
from kedge.manifests import CoreDocument
from kedge.sources import LocalSources
from kedge.store import Store
from tests.controller.conftest import GitRepo, wait_for


@pytest.fixture
def controller_with(tmp_path: Path):
    made: list[tuple[Controller, Engine, Store]] = []

    def make(provider: str, settings: dict) -> Controller:
        store = Store.open(str(tmp_path / "state.db"))
        config = CoreDocument(
            "ProviderConfig", "default", {"provider": provider, "settings": settings}, {}, {}, None, None
        )
        engine = Engine(store, extra_configs=[config], retry=RetryPolicy(attempts=2, base=0.01))
        controller = Controller(
            store, engine, cache_dir=tmp_path / "git-cache",
            backoff_base=0.05,
            backoff_cap=0.5,
            local_sources=LocalSources.under([tmp_path]),
        )
        made.append((controller, engine, store))
        controller.start()
        return controller

    yield make
    for controller, engine, store in made:
        controller.stop()
        engine.close()
        store.close()


def spec(repo: GitRepo) -> dict:
    return {
        "source": {"repoURL": str(repo.path), "targetRevision": "main", "path": ".", "pollInterval": "1s"},
        "syncPolicy": {"automated": True, "selfHeal": True, "driftInterval": "1s"},
    }


@pytest.mark.azure
def test_azure_container_drift_is_reverted(controller_with, tmp_path, azure):
    name = azure.name("heal")
    repo = GitRepo(tmp_path / "repo")
    repo.commit(
        {
            "app.yaml": f"""
            apiVersion: azure.kedge.dev/v1
            kind: StorageContainer
            metadata: {{name: {name}}}
            spec: {{publicAccess: blob, metadata: {{team: web}}}}
            """
        }
    )
    controller = controller_with("azure", azure.settings())
    controller.create_app("web", spec(repo), actor="tester")
    container = azure.blob().get_container_client(name)
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "Synced", message="synced")

    container.set_container_metadata({"team": "ops"})
    wait_for(
        lambda: container.get_container_properties().metadata.get("team") == "web",
        timeout=20,
        message="metadata reverted",
    )
    assert container.get_container_properties().metadata["kedge_app"] == "web"
    events = wait_for(lambda: [e for e in controller.events("web") if e["type"] == "drift"])
    assert events[0]["resource"] == {"kind": "StorageContainer", "name": name}


@pytest.mark.gcp
def test_gcs_bucket_drift_is_reverted(controller_with, tmp_path, gcs):
    repo = GitRepo(tmp_path / "repo")
    repo.commit(
        {
            "app.yaml": """
            apiVersion: gcp.kedge.dev/v1
            kind: GCSBucket
            metadata: {name: heal-me}
            spec: {versioning: true, labels: {team: web}}
            """
        }
    )
    controller = controller_with("gcp", gcs.settings())
    controller.create_app("web", spec(repo), actor="tester")
    wait_for(lambda: controller.get_app("web")["status"]["sync"] == "Synced", message="synced")

    bucket = gcs.sdk().get_bucket("heal-me")
    bucket.versioning_enabled = False
    bucket.patch()
    wait_for(
        lambda: gcs.sdk().get_bucket("heal-me").versioning_enabled is True,
        timeout=20,
        message="versioning reverted",
    )
