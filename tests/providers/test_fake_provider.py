"""The in-memory provider that engine, controller and CLI tests stand on: it keeps objects,
records calls, assigns ids, carries owner marks and fails or waits when a test says so."""

from __future__ import annotations

import threading
import time

import pytest

from kedge.model import UNKNOWN, ProviderError, ResourceKey, Secret, TemporaryError
from kedge.model.values import redact
from kedge.providers.base import Client, ConnectContext, Provider, Target
from kedge.providers.fake import FakeProvider

API = "fake.kedge.dev/v1"


def thing(name: str, **spec: object) -> Target:
    return Target(ResourceKey(API, "Thing", name), name, spec)


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider()


def connect(fake: FakeProvider, app: str = "shop"):
    return fake.connect({}, ConnectContext(app=app))


def test_it_is_a_provider_with_a_thing_kind(fake: FakeProvider) -> None:
    p: Provider = fake
    assert p.name == "fake"
    spec = p.kinds["Thing"]
    assert spec.api_version == API and spec.outputs == {"id": "identifier assigned at creation, e.g. thing-1"}
    assert set(spec.schema["properties"]) == {"value", "ref", "secret"}
    assert spec.sensitive == frozenset({"secret"})
    assert isinstance(connect(fake), Client)


def test_other_names_and_kinds(fake: FakeProvider) -> None:
    other = FakeProvider("cloud", kinds=["Bucket", "Queue"])
    assert set(other.kinds) == {"Bucket", "Queue"}
    assert other.kinds["Bucket"].api_version == "cloud.kedge.dev/v1"
    assert other.kinds["Bucket"].provider == "cloud"
    client = connect(other)
    applied = client.create(Target(ResourceKey("cloud.kedge.dev/v1", "Bucket", "b"), "b", {}))
    assert applied.outputs == {"id": "bucket-1"}


def test_create_observe_update_delete(fake: FakeProvider) -> None:
    client = connect(fake)
    a, b = thing("a", value=1), thing("b", value=[1, 2])
    assert not client.observe_many("Thing", [a])[a.key].exists

    assert client.create(a).outputs == {"id": "thing-1"}
    assert client.create(b).outputs == {"id": "thing-2"}

    seen = client.observe_many("Thing", [a, b])
    assert seen[a.key].state == {"value": 1}
    assert seen[a.key].outputs == {"id": "thing-1"}
    assert seen[a.key].owner == "shop"

    client.update(thing("a", value=5), seen[a.key], [])
    assert fake.get("Thing", "a").state == {"value": 5}
    assert fake.get("Thing", "a").outputs == {"id": "thing-1"}  # the id survives updates

    client.delete(a, seen[a.key])
    client.delete(a, seen[a.key])  # idempotent
    assert fake.get("Thing", "a") is None
    assert fake.get("Thing", "b") is not None


def test_objects_are_shared_by_every_client(fake: FakeProvider) -> None:
    connect(fake, "one").create(thing("x", value="v"))
    seen = connect(fake, "two").observe_many("Thing", [thing("x")])
    assert seen[thing("x").key].owner == "one"
    assert [ctx.app for _, ctx in fake.connections] == ["one", "two"]


def test_every_call_is_recorded(fake: FakeProvider) -> None:
    client = connect(fake)
    client.observe_many("Thing", [thing("a"), thing("b")])
    client.create(thing("a"))
    client.update(thing("a", value=2), client.observe_many("Thing", [thing("a")])[thing("a").key], [])
    client.delete(thing("a"), client.observe_many("Thing", [thing("a")])[thing("a").key])
    client.close()
    assert fake.calls == [
        ("connect", "", None),
        ("observe_many", "Thing", "a"),
        ("observe_many", "Thing", "b"),
        ("create", "Thing", "a"),
        ("observe_many", "Thing", "a"),
        ("update", "Thing", "a"),
        ("observe_many", "Thing", "a"),
        ("delete", "Thing", "a"),
        ("close", "", None),
    ]
    assert fake.observe_batches[0] == ("Thing", ["a", "b"])
    assert fake.calls_of("create") == [("create", "Thing", "a")]
    with pytest.raises(ProviderError, match="after close"):
        client.create(thing("z"))


def test_injected_failure_is_raised_once_then_the_call_works(fake: FakeProvider) -> None:
    client = connect(fake)
    error = TemporaryError("throttled", delay=2.0)
    fake.fail("create", "a", error)
    with pytest.raises(TemporaryError) as raised:
        client.create(thing("a"))
    assert raised.value is error and raised.value.delay == 2.0
    assert fake.get("Thing", "a") is None  # a failed call changes nothing
    client.create(thing("a"))
    assert fake.get("Thing", "a") is not None


def test_injected_failure_n_times_and_for_any_id(fake: FakeProvider) -> None:
    client = connect(fake)
    fake.fail("observe_many", None, ProviderError("access denied"), times=2)
    for _ in range(2):
        with pytest.raises(ProviderError, match="access denied"):
            client.observe_many("Thing", [thing("q")])
    assert not client.observe_many("Thing", [thing("q")])[thing("q").key].exists


def test_failure_for_one_id_spares_the_others(fake: FakeProvider) -> None:
    client = connect(fake)
    fake.fail("delete", "b", ProviderError("in use"), times=None)
    client.create(thing("a"))
    client.create(thing("b"))
    client.delete(thing("a"), client.observe_many("Thing", [thing("a")])[thing("a").key])
    for _ in range(3):
        with pytest.raises(ProviderError, match="in use"):
            client.delete(thing("b"), client.observe_many("Thing", [thing("b")])[thing("b").key])
    assert fake.get("Thing", "b") is not None


def test_failure_on_connect(fake: FakeProvider) -> None:
    fake.fail("connect", None, ProviderError("bad credentials"))
    with pytest.raises(ProviderError, match="bad credentials"):
        connect(fake)
    connect(fake)


def test_delay_and_gate_hold_calls(fake: FakeProvider) -> None:
    client = connect(fake)
    fake.delay("create", 0.05, "slow", times=1)
    start = time.monotonic()
    client.create(thing("slow"))
    assert time.monotonic() - start >= 0.05
    start = time.monotonic()
    client.create(thing("slow"))
    assert time.monotonic() - start < 0.05  # times=1: only the first call waited

    gate = fake.gate("update")
    done = threading.Event()
    seen = client.observe_many("Thing", [thing("slow")])[thing("slow").key]
    worker = threading.Thread(target=lambda: (client.update(thing("slow", value=1), seen, []), done.set()))
    worker.start()
    assert not done.wait(0.1)  # held at the gate
    assert fake.get("Thing", "slow").state == {}
    gate.set()
    assert done.wait(2)
    worker.join()
    assert fake.get("Thing", "slow").state == {"value": 1}


def test_out_of_band_changes_are_seen_and_watched(fake: FakeProvider) -> None:
    client = connect(fake)
    stop = threading.Event()
    events = []
    watching = threading.Thread(target=lambda: events.extend(client.watch(stop)))
    watching.start()
    time.sleep(0.05)
    fake.put("Thing", "legacy", {"value": "old"})  # exists, owned by nobody
    fake.edit("Thing", "legacy", value="drifted")
    fake.remove("Thing", "legacy")
    deadline = time.monotonic() + 2
    while len(events) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    watching.join(2)
    assert [(e.kind, e.external_id, e.detail) for e in events] == [
        ("Thing", "legacy", "put"),
        ("Thing", "legacy", "edit"),
        ("Thing", "legacy", "remove"),
    ]


def test_put_marks_owner_and_assigns_an_id(fake: FakeProvider) -> None:
    obj = fake.put("Thing", "theirs", {"value": 1}, owner="billing")
    seen = connect(fake).observe_many("Thing", [thing("theirs")])[thing("theirs").key]
    assert seen.owner == "billing"
    assert seen.outputs == {"id": obj.outputs["id"]} == {"id": "thing-1"}
    edited = fake.edit("Thing", "theirs", value=2)
    assert edited.state == {"value": 2}


def test_secrets_stay_wrapped(fake: FakeProvider) -> None:
    client = connect(fake)
    client.create(thing("s", secret=Secret("hunter22")))
    seen = client.observe_many("Thing", [thing("s")])[thing("s").key]
    assert seen.state["secret"] == "hunter22"
    assert "hunter22" not in repr(seen)
    assert redact(seen.state) == {"secret": "(sensitive)"}


def test_values_not_known_yet_are_refused(fake: FakeProvider) -> None:
    with pytest.raises(ProviderError, match="not known yet"):
        connect(fake).create(thing("u", ref=UNKNOWN))
    assert fake.get("Thing", "u") is None


def test_update_of_a_missing_object_fails(fake: FakeProvider) -> None:
    client = connect(fake)
    seen = client.observe_many("Thing", [thing("ghost")])[thing("ghost").key]
    with pytest.raises(ProviderError, match="does not exist"):
        client.update(thing("ghost", value=1), seen, [])


def test_unknown_kind_is_an_error(fake: FakeProvider) -> None:
    with pytest.raises(ProviderError, match="no kind 'Widget'"):
        connect(fake).observe_many("Widget", [])
