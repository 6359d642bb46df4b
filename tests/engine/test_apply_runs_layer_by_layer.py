"""Apply creates and updates a resource only after everything it refers to or depends on, and
deletes in the reverse order: dependants go first."""

from __future__ import annotations

from pathlib import Path

from kedge.engine import Engine, Options
from kedge.providers.fake import FakeProvider
from tests.engine.conftest import ref, thing, write_app


def test_creates_follow_references_and_depends_on(tmp_path: Path, engine: Engine, fake: FakeProvider) -> None:
    app = write_app(
        tmp_path / "app",
        thing("subnet", f"ref: {ref('vpc')}"),
        thing("instance", f"ref: {ref('subnet')}"),
        thing("vpc"),
        thing("dns", depends_on="Thing/instance"),
    )
    run = engine.plan("net", app)
    outcome = engine.apply(run)
    engine.finish(run)

    assert outcome.ok
    created = [name for _, _, name in fake.calls_of("create")]
    assert created.index("vpc") < created.index("subnet") < created.index("instance") < created.index("dns")
    assert fake.get("Thing", "instance").state["ref"] == fake.get("Thing", "subnet").outputs["id"]


def test_prune_deletes_dependants_first(tmp_path: Path, engine: Engine, fake: FakeProvider) -> None:
    app = write_app(
        tmp_path / "app",
        thing("vpc"),
        thing("subnet", f"ref: {ref('vpc')}"),
        thing("instance", f"ref: {ref('subnet')}"),
    )
    run = engine.plan("net", app)
    engine.apply(run)
    engine.finish(run)

    write_app(app)  # every resource left the source
    options = Options(prune=True, allow_empty=True, confirm_prune=True)
    run = engine.plan("net", app, options)
    outcome = engine.apply(run)
    engine.finish(run)

    assert outcome.ok
    assert [name for _, _, name in fake.calls_of("delete")] == ["instance", "subnet", "vpc"]
    assert not fake.objects
    assert engine.store.inventory("net") == []
