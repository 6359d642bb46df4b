"""Test kit: build targets, diff the way the engine does, converge one resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg

from kedge.model import Observation, ResourceKey
from kedge.providers.base import ConnectContext, FieldChange, Target
from kedge.providers.postgres import PostgresClient, provider
from kedge.providers.postgres.kinds import API_VERSION, KINDS
from tests.fixtures.pg import PgCluster

APP = "testapp"


def with_defaults(kind: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with top-level schema defaults filled, as the engine hands it to providers."""
    out = dict(spec)
    for name, prop in KINDS[kind].schema["properties"].items():
        if name not in out and "default" in prop:
            out[name] = prop["default"]
    return out


def make_target(
    kind: str, name: str, spec: Mapping[str, Any], annotations: Mapping[str, str] | None = None
) -> Target:
    return Target(
        key=ResourceKey(API_VERSION, kind, name),
        external_id=name,
        spec=with_defaults(kind, spec),
        annotations=dict(annotations or {}),
    )


def diff(target: Target, observed: Observation) -> list[FieldChange]:
    """Field by field over the desired spec, as the engine compares."""
    return [
        FieldChange(k, observed.state.get(k), v) for k, v in target.spec.items() if v != observed.state.get(k)
    ]


class Kit:
    def __init__(self, cluster: PgCluster, prefix: str, app: str = APP, **settings: Any) -> None:
        self.cluster = cluster
        self.prefix = prefix
        self.client: PostgresClient = provider.connect(
            {"dsn": cluster.dsn(), **settings}, ConnectContext(app=app)
        )

    def n(self, suffix: str) -> str:
        """A name unique to this test."""
        return f"{self.prefix}_{suffix}"

    def target(self, kind: str, name: str, spec: Mapping[str, Any], **annotations: str) -> Target:
        return make_target(
            kind, name, spec, {f"kedge.dev/{k.replace('_', '-')}": v for k, v in annotations.items()}
        )

    def observe(self, target: Target) -> Observation:
        return self.client.observe_many(target.key.kind, [target])[target.key]

    def diff(self, target: Target) -> list[FieldChange]:
        obs = self.observe(target)
        assert obs.exists, f"{target.key} does not exist"
        return diff(target, obs)

    def apply(self, target: Target) -> Observation:
        """Create or update until in sync; return the final observation."""
        obs = self.observe(target)
        if not obs.exists:
            self.client.create(target)
        else:
            changes = diff(target, obs)
            if changes:
                self.client.update(target, obs, changes)
        return self.observe(target)

    def sql(self, statement: str, dbname: str = "postgres", params: Any = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.cluster.dsn(dbname), autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def close(self) -> None:
        self.client.close()
