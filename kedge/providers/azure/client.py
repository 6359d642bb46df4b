"""The connected azure client: the provider contract, dispatched to one handler per kind.

One client serves one app through one ProviderConfig. The SDK's service clients (blob, queue,
table) are built on first use, so an app with only containers never touches the table
endpoint. Names are checked before any call that would change something, and in ``preview``,
so the plan already shows a refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from kedge.model import ConfigError, Observation, ResourceKey
from kedge.providers.azure.handlers import HANDLERS, Context, Handler
from kedge.providers.azure.kinds import APP_MARK
from kedge.providers.azure.objects import BlobObjects
from kedge.providers.azure.settings import AzureSettings, service_client
from kedge.providers.base import Applied, Existing, FieldChange, Target


class AzureClient:
    def __init__(self, settings: AzureSettings, app: str, provider_config: str = "default") -> None:
        self.settings = settings
        self.provider_config = provider_config
        self._lock = threading.Lock()
        self._services: dict[str, Any] = {}
        secrets = [s for s in (settings.connection_string, settings.credential) if s]
        self.ctx = Context(self._service, app, secrets)
        self._handlers: dict[str, Handler] = {}

    def _service(self, name: str) -> Any:
        with self._lock:
            client = self._services.get(name)
            if client is None:
                where = f"ProviderConfig {self.provider_config}"
                client = self._services[name] = service_client(self.settings, name, where)
            return client

    def _handler(self, kind: str) -> Handler:
        handler = self._handlers.get(kind)
        if handler is None:
            cls = HANDLERS.get(kind)
            if cls is None:
                known = ", ".join(sorted(HANDLERS))
                raise ConfigError(f"the azure provider has no kind {kind!r} (kinds: {known})")
            handler = self._handlers[kind] = cls(self.ctx)
        return handler

    def observe_many(self, kind: str, targets: Sequence[Target]) -> Mapping[ResourceKey, Observation]:
        if not targets:
            return {}
        return self._handler(kind).observe_many(targets)

    def listable_kinds(self) -> Sequence[str]:
        return sorted(HANDLERS)

    def list_existing(self, kind: str) -> Sequence[Existing]:
        """Every container, queue or table of the account with its ``kedge_app`` mark (one
        listing per kind, for ``kedge orphans``); a table carries no mark."""
        handler = self._handler(kind)
        listed = handler.listing(f"{kind}: list")
        return [
            Existing(kind, name, (item.get("metadata") or {}).get(APP_MARK) or None, handler.state(item))
            for name, item in sorted(listed.items())
        ]

    def create(self, target: Target) -> Applied:
        handler = self._handler(target.key.kind)
        handler.check(target)
        handler.create_steps(target).run(handler.wrap(target))
        return Applied(handler.outputs(target))

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        handler = self._handler(target.key.kind)
        handler.check(target)
        handler.update_steps(target, observed, diff).run(handler.wrap(target))
        return Applied(handler.outputs(target))

    def delete(self, target: Target, observed: Observation) -> None:
        handler = self._handler(target.key.kind)
        handler.check(target)  # a name Azure refuses cannot name anything to delete
        handler.delete(target)

    def preview(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Sequence[str]:
        """The calls a create (observed missing) or an update will make; ConfigError when refused."""
        handler = self._handler(target.key.kind)
        handler.check(target)
        if not observed.exists:
            return handler.create_steps(target).names()
        return handler.update_steps(target, observed, diff).names()

    def objects(self, target: Target) -> BlobObjects:
        """The blobs of a StorageContainer, for the cross-cloud copier (kedge.providers.objects)."""
        if target.key.kind != "StorageContainer":
            raise ConfigError(f"{target.key}: only a StorageContainer holds objects to copy")
        self._handler(target.key.kind).check(target)
        return BlobObjects(self._service("blob").get_container_client(target.external_id))

    def close(self) -> None:
        with self._lock:
            services, self._services = list(self._services.values()), {}
        for service in services:
            service.close()
