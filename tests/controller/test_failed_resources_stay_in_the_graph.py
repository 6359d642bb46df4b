"""When a change fails, the resource graph keeps the resource, marked ``Failed`` with the error,
while the others show their live state; the app is Degraded, and the pending count in its status
matches the diff."""

from __future__ import annotations

from kedge.model import ProviderError
from kedge.providers import registry
from kedge.providers.fake import FakeProvider
from tests.controller.conftest import app_spec, wait_for

FAKE = FakeProvider(name="flaky")
registry.register(FAKE)

APP = """
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {name: cloud}
spec: {provider: flaky, settings: {}}
---
apiVersion: flaky.kedge.dev/v1
kind: Thing
metadata: {name: fine}
spec: {value: 1}
---
apiVersion: flaky.kedge.dev/v1
kind: Thing
metadata: {name: refused}
spec: {value: 2}
"""


def test_failed_change_marks_its_resource(make_controller, repo) -> None:
    FAKE.fail("create", "refused", ProviderError("the API says no: invalid value"), times=None)
    repo.commit({"app.yaml": APP})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path, selfHeal=False), actor="t")
    view = wait_for(lambda: (v := controller.get_app("web"))["status"]["health"] == "Degraded" and v)
    ready = next(c for c in view["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "SyncFailed" and "Thing/refused" in ready["message"]

    resources = {r["name"]: r for r in controller.resources("web")}
    assert resources["refused"]["status"] == "Failed"
    assert "the API says no" in resources["refused"]["error"]
    assert resources["fine"]["status"] == "Synced"
    diff = controller.diff("web")
    assert [c["name"] for c in diff["changes"] if c["action"] != "noop"] == ["refused"]
    assert [h["result"] for h in controller.history("web")][0] == "partial"
