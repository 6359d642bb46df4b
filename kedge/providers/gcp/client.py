"""The connected gcp client: the provider contract for ``GCSBucket``.

One client serves one app through one ProviderConfig; the storage client is built on first
use. Names and lifecycle rules are checked before any call that would change something, and in
``preview``, so the plan already shows a refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from kedge.model import ConfigError, Observation, ResourceKey
from kedge.providers.base import Applied, Existing, FieldChange, Target
from kedge.providers.gcp.buckets import SPEC, GCSBucket
from kedge.providers.gcp.errors import gcs_errors
from kedge.providers.gcp.objects import GcsObjects
from kedge.providers.gcp.settings import GcpSettings, storage_client


class GcpClient:
    def __init__(self, settings: GcpSettings, app: str, provider_config: str = "default") -> None:
        self.settings = settings
        self.app = app
        self.provider_config = provider_config
        self._lock = threading.Lock()
        self._buckets: GCSBucket | None = None

    def _handler(self, kind: str) -> GCSBucket:
        if kind != SPEC.kind:
            raise ConfigError(f"the gcp provider has no kind {kind!r} (kinds: {SPEC.kind})")
        with self._lock:
            if self._buckets is None:
                with gcs_errors(f"ProviderConfig {self.provider_config}: connect"):
                    self._buckets = GCSBucket(storage_client(self.settings), self.app)
            return self._buckets

    def observe_many(self, kind: str, targets: Sequence[Target]) -> Mapping[ResourceKey, Observation]:
        if not targets:
            return {}
        return self._handler(kind).observe_many(targets)

    def listable_kinds(self) -> Sequence[str]:
        return [SPEC.kind]

    def list_existing(self, kind: str) -> Sequence[Existing]:
        """Every bucket of the project with its ``kedge-app`` label (one paginated listing)."""
        return self._handler(kind).list_existing()

    def create(self, target: Target) -> Applied:
        handler = self._handler(target.key.kind)
        handler.check(target)
        handler.create_steps(target).run(handler.wrap(target))
        return Applied(handler.outputs(target))

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        handler = self._handler(target.key.kind)
        handler.check(target)
        handler.update_steps(target, observed, diff).run(handler.wrap(target))
        return Applied(handler.outputs(target, observed.outputs.get("location")))

    def delete(self, target: Target, observed: Observation) -> None:
        handler = self._handler(target.key.kind)
        handler.check(target)
        handler.delete(target)

    def preview(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Sequence[str]:
        """The calls a create (observed missing) or an update will make; ConfigError when refused."""
        handler = self._handler(target.key.kind)
        handler.check(target)
        if not observed.exists:
            return handler.create_steps(target).names()
        return handler.update_steps(target, observed, diff).names()

    def objects(self, target: Target) -> GcsObjects:
        """The objects of a GCSBucket, for the cross-cloud copier (kedge.providers.objects)."""
        handler = self._handler(target.key.kind)
        handler.check(target)
        return GcsObjects(handler.client, target.external_id)

    def close(self) -> None:
        with self._lock:
            buckets, self._buckets = self._buckets, None
        if buckets is not None:
            client: Any = buckets.client
            client.close()
