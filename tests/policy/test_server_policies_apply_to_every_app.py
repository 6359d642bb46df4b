"""Policies given to the engine by the server apply to every app, next to the app's own."""

from __future__ import annotations

from pathlib import Path

from kedge.engine import Engine
from kedge.manifests import CoreDocument
from kedge.planning.policy import PolicyLimits
from kedge.store import Store

FILE = """
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: motd}
spec: {path: motd, content: "hello\\n"}
"""

SERVER_POLICY = CoreDocument(
    "Policy",
    "platform",
    {
        "rules": [
            {"name": "no-motd", "kinds": ["File"], "deny": "change.name == 'motd'", "message": "no motd"}
        ]
    },
    file="/etc/kedge/server.yaml",
    line=40,
)


def plan_with(engine: Engine, app: Path):
    run = engine.plan(app.name, app)
    try:
        return run.plan
    finally:
        engine.finish(run)


def test_a_server_policy_denies_in_any_app(local_app, tmp_path) -> None:
    one, _ = local_app(FILE, name="one")
    two, _ = local_app(FILE, name="two")
    engine = Engine(Store.open(str(tmp_path / "state.db")), policies=[SERVER_POLICY])
    try:
        for app in (one, two):
            plan = plan_with(engine, app)
            assert not plan.ok
            [d] = [d for d in plan.diagnostics if d.is_error]
            assert d.message == "policy platform/no-motd denies create of File/motd: no motd"
            assert (d.file, d.line) == ("/etc/kedge/server.yaml", 40)
    finally:
        engine.close()


def test_without_server_policies_the_same_app_plans_cleanly(local_app, tmp_path) -> None:
    app, _ = local_app(FILE)
    engine = Engine(Store.open(str(tmp_path / "state.db")))
    try:
        plan = plan_with(engine, app)
        assert plan.ok and plan.has_changes
    finally:
        engine.close()


def test_the_engine_takes_the_time_limits(local_app, tmp_path) -> None:
    slow = "[" + ",".join(str(i) for i in range(20)) + "]"
    text = "1"
    for i in range(6):
        text = f"{slow}.map(v{i}, {text})"
    policy = CoreDocument("Policy", "slow", {"rules": [{"name": "r", "deny": f"{text}.size() == 0"}]})
    app, _ = local_app(FILE)
    engine = Engine(
        Store.open(str(tmp_path / "state.db")),
        policies=[policy],
        policy_limits=PolicyLimits(per_evaluation=0.02),
    )
    try:
        plan = plan_with(engine, app)
        assert [d.message for d in plan.diagnostics if d.is_error] == [
            "policy slow/r failed to evaluate deny on create of File/motd: ran longer than 20 ms of CPU "
            "and was stopped; the change is blocked until the rule is fixed"
        ]
    finally:
        engine.close()
