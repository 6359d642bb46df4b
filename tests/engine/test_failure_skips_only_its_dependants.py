"""A failed change skips everything that depends on it, and only that: the rest of the app is
applied, the run is recorded as partial, and the next apply finishes the job."""

from __future__ import annotations

from pathlib import Path

from kedge.engine import Engine
from kedge.engine.apply import FAILED, SKIPPED, SUCCEEDED
from kedge.model import ProviderError
from kedge.providers.fake import FakeProvider
from tests.engine.conftest import ref, thing, write_app


def test_dependants_of_a_failure_are_skipped(tmp_path: Path, engine: Engine, fake: FakeProvider) -> None:
    app = write_app(
        tmp_path / "app",
        thing("vpc"),
        thing("subnet", f"ref: {ref('vpc')}"),
        thing("instance", f"ref: {ref('subnet')}"),
        thing("dns", depends_on="Thing/subnet"),
        thing("bucket"),
    )
    fake.fail("create", "vpc", ProviderError("the API says no: quota exceeded"))
    run = engine.plan("net", app)
    outcome = engine.apply(run)
    engine.finish(run)

    results = {str(r.change.key): (r.result, r.error) for r in outcome.results}
    assert results["Thing/vpc"] == (FAILED, "the API says no: quota exceeded")
    assert results["Thing/subnet"] == (SKIPPED, "skipped: dependency Thing/vpc failed")
    assert results["Thing/instance"] == (SKIPPED, "skipped: dependency Thing/subnet failed")
    assert results["Thing/dns"] == (SKIPPED, "skipped: dependency Thing/subnet failed")
    assert results["Thing/bucket"] == (SUCCEEDED, None)
    assert sorted(name for _, _, name in fake.calls_of("create")) == ["bucket", "vpc"]
    assert [str(e.key) for e in engine.store.inventory("net")] == ["Thing/bucket"]
    assert engine.store.runs("net")[0].result == "partial"

    run = engine.plan("net", app)  # the failure is gone: the next apply creates the rest
    assert engine.apply(run).ok
    engine.finish(run)
    assert {name for _, name in fake.objects} == {"vpc", "subnet", "instance", "dns", "bucket"}
