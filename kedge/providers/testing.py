"""The conformance suite: what every provider must do, run by a provider against itself.

A provider's test module subclasses ``Conformance`` (under a ``Test...`` name, so pytest
collects it) and sets ``self.subject`` to a ``Subject``: the provider, settings that reach a
live target (a real service or an emulator), settings under which every call fails (the
injected error), and one ``Sample`` per kind. Each ``test_*`` method checks one rule of the
contract in kedge.providers.base:

- every kind's schema is strict (unknown fields are errors) and its outputs are documented;
- a resource that does not exist observes as ``exists=False``;
- create, then observe: no drift (the observed state compares equal with the desired spec);
- create and delete are idempotent (a second create or delete succeeds and changes nothing);
- observing changes nothing;
- an update reaches the changed spec;
- the ownership mark round-trips (another app sees who owns it);
- an injected error is raised, never read as "gone";
- a secret canary in a spec never appears in an error, even when the service echoes it;
- a batched observation returns every key;
- a name the target would refuse is refused before any call.

The suite imports no test framework: plain ``assert`` statements, so any runner can drive it.
docs/providers/writing.md uses it as the checklist for a new provider.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import jsonschema

from kedge.manifests.schema import fill_defaults
from kedge.model import ConfigError, KedgeError, Observation, ResourceKey, Secret
from kedge.planning.diff import diff_spec
from kedge.providers.base import Client, ConnectContext, FieldChange, Provider, Target

CANARY_PREFIX = "kedgecanary"


@dataclass(frozen=True)
class Sample:
    """One kind as the suite exercises it.

    ``spec`` is a valid spec as a manifest would give it; string values may hold ``{name}``,
    replaced by a fresh name for each resource. ``change`` holds top-level fields whose new
    values make an update (empty when the kind has nothing to update). ``secret_field`` is a
    dotted path to a string that may hold a secret (the canary goes there). ``bad_name`` is an
    external name the target refuses; ``marks`` says whether the kind carries ownership marks.
    """

    kind: str
    spec: Mapping[str, Any]
    change: Mapping[str, Any] = field(default_factory=dict)
    secret_field: str | None = None
    bad_name: str | None = None
    marks: bool = True


@dataclass
class Subject:
    provider: Provider
    settings: Mapping[str, Any]
    broken_settings: Mapping[str, Any]  # every call fails (and the service echoes the request)
    samples: Sequence[Sample]
    names: Callable[[], str] | None = None  # fresh external names; default: kedge-<hex>
    app: str = "conformance"


_serial = itertools.count()


class Conformance:
    """Subclass as ``TestMyProvider(Conformance)`` and set ``self.subject`` before each test."""

    subject: Subject

    # -- helpers ----------------------------------------------------------------------------
    @contextmanager
    def connected(self, app: str | None = None, broken: bool = False) -> Iterator[Client]:
        settings = self.subject.broken_settings if broken else self.subject.settings
        client = self.subject.provider.connect(settings, ConnectContext(app or self.subject.app))
        try:
            yield client
        finally:
            client.close()

    def fresh(self) -> str:
        if self.subject.names is not None:
            return self.subject.names()
        return f"kedge-{next(_serial)}-{uuid.uuid4().hex[:8]}"

    def target(
        self, sample: Sample, name: str | None = None, spec: Mapping[str, Any] | None = None
    ) -> Target:
        name = name or self.fresh()
        kind = self.subject.provider.kinds[sample.kind]
        filled = fill_defaults(_format(spec if spec is not None else sample.spec, name), kind.schema)
        external = str(filled[kind.identity_field]) if kind.identity_field else name
        return Target(ResourceKey(kind.api_version, sample.kind, name), external, filled)

    def observe(self, client: Client, target: Target) -> Observation:
        found = client.observe_many(target.key.kind, [target])
        assert target.key in found, f"{target.key}: observe_many left the key out"
        return found[target.key]

    def drift(self, target: Target, observed: Observation) -> list[FieldChange]:
        schema = self.subject.provider.kinds[target.key.kind].schema
        return [
            FieldChange(d.path, d.before, d.after) for d in diff_spec(target.spec, observed.state, schema)
        ]

    def created(self, client: Client, sample: Sample) -> Target:
        target = self.target(sample)
        client.create(target)
        return target

    # -- the rules --------------------------------------------------------------------------
    def test_schemas_are_strict_and_outputs_documented(self) -> None:
        provider = self.subject.provider
        assert provider.settings_schema.get("additionalProperties") is False, "settings schema is not strict"
        for sample in self.subject.samples:
            kind = provider.kinds[sample.kind]
            schema = kind.schema
            assert schema.get("type") == "object" and schema.get("additionalProperties") is False, (
                f"{sample.kind}: the spec schema must be an object with additionalProperties: false"
            )
            for name, sub in (schema.get("properties") or {}).items():
                assert sub.get("description"), f"{sample.kind}: spec.{name} has no description"
            assert kind.outputs and all(kind.outputs.values()), f"{sample.kind}: outputs undocumented"
            assert kind.description, f"{sample.kind}: no description for kedge explain"
            jsonschema.validate(_format(sample.spec, "x"), schema)
            unknown = {**_format(sample.spec, "x"), "noSuchField": 1}
            assert not jsonschema.Draft202012Validator(schema).is_valid(unknown), (
                f"{sample.kind}: an unknown field is accepted"
            )

    def test_missing_resource_observes_as_not_existing(self) -> None:
        with self.connected() as client:
            for sample in self.subject.samples:
                assert self.observe(client, self.target(sample)).exists is False, sample.kind

    def test_create_then_observe_shows_no_drift(self) -> None:
        with self.connected() as client:
            for sample in self.subject.samples:
                target = self.created(client, sample)
                observed = self.observe(client, target)
                assert observed.exists, f"{sample.kind}: not found after create"
                assert self.drift(target, observed) == [], f"{sample.kind}: drift right after create"
                if sample.marks:
                    assert observed.owner == self.subject.app, f"{sample.kind}: owner {observed.owner!r}"

    def test_create_and_delete_are_idempotent(self) -> None:
        with self.connected() as client:
            for sample in self.subject.samples:
                target = self.created(client, sample)
                client.create(target)  # a create whose answer was lost is sent again
                observed = self.observe(client, target)
                assert observed.exists and self.drift(target, observed) == [], sample.kind
                client.delete(target, observed)
                client.delete(target, observed)  # a delete whose answer was lost
                assert self.observe(client, target).exists is False, f"{sample.kind}: still there"

    def test_observe_changes_nothing(self) -> None:
        with self.connected() as client:
            for sample in self.subject.samples:
                target = self.created(client, sample)
                first = self.observe(client, target)
                second = self.observe(client, target)
                assert (first.state, first.outputs, first.owner) == (
                    second.state,
                    second.outputs,
                    second.owner,
                )
                absent = self.target(sample)
                self.observe(client, absent)
                assert self.observe(client, absent).exists is False, f"{sample.kind}: observe created it"

    def test_update_reaches_the_changed_spec(self) -> None:
        with self.connected() as client:
            for sample in self.subject.samples:
                if not sample.change:
                    continue
                target = self.created(client, sample)
                wanted = self.target(sample, target.key.name, {**sample.spec, **sample.change})
                observed = self.observe(client, wanted)
                diff = self.drift(wanted, observed)
                assert diff, f"{sample.kind}: the change shows no drift"
                client.update(wanted, observed, diff)
                assert self.drift(wanted, self.observe(client, wanted)) == [], f"{sample.kind}: update missed"

    def test_owner_mark_round_trips(self) -> None:
        with self.connected() as client, self.connected(app="someone-else") as other:
            for sample in self.subject.samples:
                if not sample.marks:
                    continue
                target = self.created(client, sample)
                assert self.observe(other, target).owner == self.subject.app, (
                    f"{sample.kind}: another app does not see the owner"
                )

    def test_injected_error_is_never_read_as_gone(self) -> None:
        with self.connected(broken=True) as client:
            for sample in self.subject.samples:
                target = self.target(sample)
                try:
                    found = client.observe_many(sample.kind, [target])
                except KedgeError:
                    continue
                raise AssertionError(f"{sample.kind}: a failing target observed as {found[target.key]}")

    def test_secret_canary_never_appears_in_errors(self) -> None:
        canary = f"{CANARY_PREFIX}{uuid.uuid4().hex[:12]}"
        with self.connected() as live, self.connected(broken=True) as client:
            for sample in self.subject.samples:
                if sample.secret_field is None:
                    continue
                plain = self.created(live, sample)
                observed = self.observe(live, plain)  # real outputs, for the update below
                spec = _with_secret(plain.spec, sample.secret_field, canary)
                target = Target(plain.key, plain.external_id, spec, observed.outputs)
                change = [FieldChange(sample.secret_field, None, "changed")]
                calls: list[Callable[[], object]] = [
                    partial(client.observe_many, sample.kind, [target]),
                    partial(client.create, target),
                    partial(client.update, target, observed, change),
                ]
                for call in calls:
                    try:
                        call()
                    except KedgeError as exc:
                        assert canary not in str(exc), f"{sample.kind}: the secret leaked: {exc}"
                        assert exc.__cause__ is None or canary not in str(exc.__cause__), sample.kind

    def test_batched_observation_returns_every_key(self) -> None:
        with self.connected() as client:
            for sample in self.subject.samples:
                made = [self.created(client, sample) for _ in range(2)]
                absent = [self.target(sample) for _ in range(2)]
                found = client.observe_many(sample.kind, [*made, *absent])
                assert set(found) == {t.key for t in [*made, *absent]}, f"{sample.kind}: keys missing"
                assert [found[t.key].exists for t in made] == [True, True], sample.kind
                assert [found[t.key].exists for t in absent] == [False, False], sample.kind

    def test_bad_names_are_refused_before_any_call(self) -> None:
        # Against the broken settings, any call fails with a ProviderError: a ConfigError proves
        # the name was refused before one was sent.
        with self.connected(broken=True) as client:
            for sample in self.subject.samples:
                if sample.bad_name is None:
                    continue
                plain = self.target(sample)
                target = Target(plain.key, sample.bad_name, plain.spec)
                try:
                    client.create(target)
                except ConfigError as exc:
                    assert sample.bad_name in str(exc) or "name" in str(exc), str(exc)
                    continue
                except KedgeError as exc:
                    raise AssertionError(f"{sample.kind}: the bad name reached the target: {exc}") from None
                raise AssertionError(f"{sample.kind}: the bad name {sample.bad_name!r} was accepted")


def _format(value: Any, name: str) -> Any:
    if isinstance(value, str):
        return value.replace("{name}", name)
    if isinstance(value, Mapping):
        return {k: _format(v, name) for k, v in value.items()}
    if isinstance(value, list):
        return [_format(v, name) for v in value]
    return value


def _with_secret(spec: Mapping[str, Any], path: str, canary: str) -> dict[str, Any]:
    """``spec`` with the string at dotted ``path`` replaced by a Secret holding ``canary``."""
    out = {k: dict(v) if isinstance(v, Mapping) else v for k, v in spec.items()}
    head, _, rest = path.partition(".")
    if rest:
        inner = dict(out.get(head) or {})
        inner[rest] = Secret(canary, "fromEnv KEDGE_CANARY")
        out[head] = inner
    else:
        out[head] = Secret(canary, "fromEnv KEDGE_CANARY")
    return out
