"""Apply sends each provider exactly the target its plan showed: references resolved as the plan
resolved them, and a value the plan could only show as "known after apply" filled in from the
outputs of what the same apply created. The observations the plan was made from stay as they
were; apply keeps what it learns to itself."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from kedge.engine import Engine
from kedge.model import UNKNOWN
from kedge.planning import Action, Plan
from kedge.providers.fake import FakeProvider
from tests.engine.conftest import ref, thing, write_app


def with_known(spec: Any, value: Any) -> Any:
    """``spec`` with every value the plan did not know yet replaced by ``value``."""
    if spec is UNKNOWN:
        return value
    if isinstance(spec, dict):
        return {k: with_known(v, value) for k, v in spec.items()}
    return spec


def test_provider_receives_the_planned_targets(tmp_path: Path, engine: Engine, fake: FakeProvider) -> None:
    fake.put("Thing", "zone", {"value": 1}, owner="net", outputs={"id": "zone-7"})
    fake.put("Thing", "peer", {"ref": "vpc-gone"}, owner="net")
    app = write_app(
        tmp_path / "app",
        thing("zone"),
        thing("vpc", "value: 10"),
        thing("subnet", f"ref: {ref('vpc')}, value: 2"),  # created: the vpc's id is known after apply
        thing("peer", f"ref: {ref('vpc')}"),  # updated: likewise
        thing("record", f"ref: {ref('zone')}"),  # created: the zone's id is known when planning
    )
    run = engine.plan("net", app)
    planned = {c.key.name: c for c in run.plan.changes}
    assert {n: c.action for n, c in planned.items()} == {
        "zone": Action.RECORD,
        "vpc": Action.CREATE,
        "subnet": Action.CREATE,
        "peer": Action.UPDATE,
        "record": Action.CREATE,
    }
    assert planned["subnet"].resource is not None and planned["subnet"].resource.spec["ref"] is UNKNOWN
    assert planned["record"].resource is not None and planned["record"].resource.spec["ref"] == "zone-7"
    assert run.observed is not None
    outputs_before = dict(run.observed.outputs)

    assert engine.apply(run).ok
    engine.finish(run)

    vpc_id = fake.get("Thing", "vpc").outputs["id"]
    for name in ("vpc", "subnet", "peer", "record"):
        shown = planned[name].resource
        assert shown is not None
        assert fake.get("Thing", name).state == with_known(dict(shown.spec), vpc_id), name
    assert fake.get("Thing", "peer").state == {"ref": vpc_id}
    assert dict(run.observed.outputs) == outputs_before  # apply kept the vpc's id to itself


def test_apply_sends_the_plan_it_is_given(tmp_path: Path, engine: Engine, fake: FakeProvider) -> None:
    """What the plan carries is what is sent: apply does not build its targets again from the
    manifests (a plan read back from a file is applied as it was reviewed)."""
    run = engine.plan("net", write_app(tmp_path / "app", thing("vpc", "value: 10")))
    [change] = run.plan.changes
    assert change.resource is not None
    reviewed = dataclasses.replace(change.resource, spec={"value": 11})
    plan = Plan([dataclasses.replace(change, resource=reviewed)], run.plan.diagnostics)

    assert engine.apply(dataclasses.replace(run, plan=plan)).ok
    engine.finish(run)
    assert fake.get("Thing", "vpc").state == {"value": 11}


def test_a_plan_with_errors_is_not_applied(tmp_path: Path, engine: Engine, fake: FakeProvider) -> None:
    fake.put("Thing", "vpc", {"value": 1}, owner="other-app")
    run = engine.plan("net", write_app(tmp_path / "app", thing("vpc", "value: 10")))
    assert not run.plan.ok
    with pytest.raises(ValueError, match="only a plan without errors can be applied"):
        engine.apply(run)
    engine.finish(run)
    assert fake.calls_of("update") == [] and engine.store.runs("net") == []
