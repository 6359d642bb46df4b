"""A temporary provider error (throttling, a timeout) is retried with backoff, in observe and in
apply, up to the policy's attempts; a permanent one is not retried; waiting uses the policy's
delays (0 s here), never a fixed sleep."""

from __future__ import annotations

from pathlib import Path

from kedge.engine import Engine
from kedge.model import ProviderError, TemporaryError
from kedge.providers.fake import FakeProvider
from tests.engine.conftest import thing, write_app


def test_a_throttled_create_succeeds_on_retry(tmp_path: Path, engine: Engine, fake: FakeProvider) -> None:
    app = write_app(tmp_path / "app", thing("db"))
    fake.fail("observe_many", None, TemporaryError("rate exceeded"))
    fake.fail("create", "db", TemporaryError("throttled"), times=2)
    run = engine.plan("shop", app)
    assert run.plan.ok, run.plan.diagnostics
    outcome = engine.apply(run)
    engine.finish(run)

    assert outcome.ok
    assert len(fake.calls_of("observe_many")) == 2
    assert len(fake.calls_of("create")) == 3  # the policy allows 3 attempts
    assert fake.get("Thing", "db") is not None


def test_retries_stop_at_the_policy_limit(tmp_path: Path, engine: Engine, fake: FakeProvider) -> None:
    app = write_app(tmp_path / "app", thing("db"))
    fake.fail("create", "db", TemporaryError("throttled"), times=3)
    run = engine.plan("shop", app)
    [result] = engine.apply(run).results
    engine.finish(run)

    assert (result.result, result.error) == ("failed", "throttled")
    assert len(fake.calls_of("create")) == 3
    assert engine.store.runs("shop")[0].result == "failed"


def test_a_permanent_error_is_not_retried(tmp_path: Path, engine: Engine, fake: FakeProvider) -> None:
    app = write_app(tmp_path / "app", thing("db"))
    fake.fail("create", "db", ProviderError("invalid name"))
    run = engine.plan("shop", app)
    [result] = engine.apply(run).results
    engine.finish(run)

    assert (result.result, result.error) == ("failed", "invalid name")
    assert len(fake.calls_of("create")) == 1
