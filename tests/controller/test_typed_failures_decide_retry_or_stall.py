"""The controller decides retry or stall from an error's class and flag, never its message: a
terminal provider error stalls the app (``Stalled``, ``ProviderFailed``, red) even when its text
sounds temporary; ``ProviderError(temporary=True)`` is retried with backoff until it passes. While a sync runs,
the app shows the ``Reconciling`` condition."""

from __future__ import annotations

from kedge.model import ProviderError
from kedge.providers import registry
from kedge.providers.fake import FakeProvider
from tests.controller.conftest import app_spec, wait_for

FAKE = FakeProvider(name="typed")
registry.register(FAKE)

APP = """
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {name: cloud}
spec: {provider: typed, settings: {}}
---
apiVersion: typed.kedge.dev/v1
kind: Thing
metadata: {name: NAME}
spec: {value: 1}
"""


def _conditions(view: dict) -> dict[str, dict]:
    return {c["type"]: c for c in view["status"]["conditions"]}


def test_terminal_provider_error_stalls_the_app(make_controller, repo) -> None:
    FAKE.fail("observe_many", "stalls", ProviderError("timeout: please retry later (not really)"), times=None)
    repo.commit({"app.yaml": APP.replace("NAME", "stalls")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="t")
    view = wait_for(lambda: "Stalled" in _conditions(v := controller.get_app("web")) and v, message="stalled")
    stalled = _conditions(view)["Stalled"]
    assert (stalled["status"], stalled["reason"]) == ("True", "ProviderFailed")
    assert _conditions(view)["Ready"]["reason"] == "ProviderFailed"
    assert view["status"]["health"] == "Degraded"
    [failed] = [h for h in controller.history("web") if h["result"] == "failed"]
    assert failed["message"].startswith("ProviderFailed:")


def test_temporary_provider_error_is_retried_until_it_passes(make_controller, repo) -> None:
    FAKE.fail("observe_many", "retried", ProviderError("quota", temporary=True), times=4)
    repo.commit({"app.yaml": APP.replace("NAME", "retried")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="t")
    view = wait_for(
        lambda: (v := controller.get_app("web"))["status"]["sync"] == "Synced" and v, message="synced"
    )
    assert "Stalled" not in _conditions(view)
    assert FAKE.get("Thing", "retried") is not None
    observed = [c for c in FAKE.calls if c == ("observe_many", "Thing", "retried")]
    assert len(observed) >= 5, "observed again after each temporary failure"


def test_reconciling_is_visible_while_a_sync_runs(make_controller, repo) -> None:
    gate = FAKE.gate("create", "slow")
    repo.commit({"app.yaml": APP.replace("NAME", "slow")})
    controller = make_controller()
    controller.create_app("web", app_spec(repo.path), actor="t")
    view = wait_for(
        lambda: "Reconciling" in _conditions(v := controller.get_app("web")) and v, message="shown"
    )
    reconciling = _conditions(view)["Reconciling"]
    assert (reconciling["status"], reconciling["reason"]) == ("True", "Progressing")
    assert "applying 1 change" in reconciling["message"]
    gate.set()
    view = wait_for(
        lambda: (v := controller.get_app("web"))["status"]["sync"] == "Synced" and v, message="synced"
    )
    assert "Reconciling" not in _conditions(view)
