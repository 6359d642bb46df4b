"""The three kinds of the azure provider, each observed with one list call.

A handler lists its service once per ``observe_many`` (containers and queues with their
metadata, tables by name) and builds every create and update as ``Steps``: the plan shows the
same steps that apply runs. Creates are idempotent: a container or queue that already exists
(a create whose answer was lost, a crash before Kedge recorded it) is brought to the spec by
the same call sequence instead of failing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from kedge.model import ConfigError, KindSpec, Observation, ProviderError, ResourceKey
from kedge.model.resource import CLAIM_ANNOTATION
from kedge.model.values import redact_text, reveal, secret_values
from kedge.providers.azure import kinds
from kedge.providers.azure.errors import azure_errors, is_exists, is_not_found
from kedge.providers.base import FieldChange, Target
from kedge.providers.steps import Step, Steps, top_fields


class Context:
    """What the handlers of one client share: the SDK service clients, the app, the secrets."""

    def __init__(self, services: Any, app: str, secrets: Sequence[str]) -> None:
        self.services = services  # callable: service name -> SDK service client
        self.app = app
        self.secrets = list(secrets)


class Handler(ABC):
    spec: ClassVar[KindSpec]
    marks: ClassVar[bool] = True  # whether the kind carries ownership marks

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    @abstractmethod
    def service(self) -> Any: ...

    @abstractmethod
    def listing(self, where: str) -> dict[str, dict[str, Any]]:
        """Every existing object of the kind: name -> {metadata, ...} from one list call."""

    @abstractmethod
    def state(self, item: Mapping[str, Any]) -> dict[str, Any]: ...

    @abstractmethod
    def url(self, name: str) -> str: ...

    @abstractmethod
    def create_steps(self, target: Target) -> Steps: ...

    @abstractmethod
    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps: ...

    @abstractmethod
    def delete(self, target: Target) -> None: ...

    # -- shared -----------------------------------------------------------------------------
    def check(self, target: Target) -> None:
        problem = kinds.name_problem(self.spec.kind, target.external_id)
        if problem:
            raise ConfigError(
                f"{target.key}: invalid {self.spec.kind} name {target.external_id!r}: {problem} "
                "(set metadata.name or kedge.dev/external-name)"
            )

    def lookup(self, name: str) -> str:
        return name

    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        out = {t.key: Observation.missing() for t in targets}
        valid = [t for t in targets if kinds.name_problem(self.spec.kind, t.external_id) is None]
        if not valid:
            return out
        listed = self.listing(f"{self.spec.kind}: list")
        for t in valid:
            item = listed.get(self.lookup(t.external_id))
            if item is not None:
                metadata = dict(item.get("metadata") or {})
                owner = metadata.get(kinds.APP_MARK) or None
                outputs = {"name": t.external_id, "url": self.url(t.external_id)}
                out[t.key] = Observation(True, self.state(item), outputs, owner)
        return out

    def outputs(self, target: Target) -> dict[str, Any]:
        return {"name": target.external_id, "url": self.url(target.external_id)}

    def metadata(self, target: Target) -> dict[str, str]:
        """The full metadata an object should carry: the user's plus Kedge's marks."""
        user = reveal(target.spec.get("metadata")) or {}
        return {
            **{str(k): str(v) for k, v in user.items()},
            kinds.APP_MARK: self.ctx.app,
            kinds.RESOURCE_MARK: f"{target.key.kind}/{target.key.name}",
            **({kinds.CLAIM_MARK: claim} if (claim := target.annotations.get(CLAIM_ANNOTATION)) else {}),
        }

    def needs_metadata(self, observed: Observation, diff: Sequence[FieldChange]) -> bool:
        return "metadata" in top_fields(diff) or (self.marks and observed.owner != self.ctx.app)

    @contextmanager
    def errors(self, target: Target, operation: str, field: str | None = None) -> Iterator[None]:
        secrets = [*self.ctx.secrets, *secret_values(target.spec)]
        with azure_errors(f"{target.key}: {operation}", field, secrets):
            yield

    def wrap(self, target: Target) -> Any:
        def around(step: Step) -> Any:
            return self.errors(target, step.name.split(":", 1)[-1], step.field)

        return around

    def scrub(self, target: Target, text: str) -> str:
        return redact_text(text, [*self.ctx.secrets, *secret_values(target.spec)])


def user_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (metadata or {}).items() if not k.lower().startswith("kedge_")}


class StorageContainer(Handler):
    spec = kinds.CONTAINER

    @property
    def service(self) -> Any:
        return self.ctx.services("blob")

    def listing(self, where: str) -> dict[str, dict[str, Any]]:
        with azure_errors(where, secrets=self.ctx.secrets):
            return {
                c.name: {"metadata": c.metadata, "publicAccess": c.public_access}
                for c in self.service.list_containers(include_metadata=True)
            }

    def state(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "publicAccess": str(item.get("publicAccess") or "none"),
            "metadata": user_metadata(item.get("metadata")),
        }

    def url(self, name: str) -> str:
        return str(self.service.get_container_client(name).url)

    def _access(self, target: Target) -> str | None:
        value = reveal(target.spec.get("publicAccess")) or "none"
        return None if value == "none" else str(value)

    def create_steps(self, target: Target) -> Steps:
        client = self.service.get_container_client(target.external_id)

        def create() -> None:
            try:
                client.create_container(metadata=self.metadata(target), public_access=self._access(target))
            except Exception as exc:
                if not is_exists(exc):
                    raise
                # it exists already (a lost answer, a crash): bring it to the spec instead
                client.set_container_metadata(self.metadata(target))
                self._set_access(client, target)

        steps = Steps()
        steps.add("azure:CreateContainer", create)
        return steps

    def _set_access(self, client: Any, target: Target) -> None:
        # Setting the access level replaces the stored access policies: send back those it has.
        current = client.get_container_access_policy()
        identifiers = {i.id: i.access_policy for i in current.get("signed_identifiers") or []}
        client.set_container_access_policy(signed_identifiers=identifiers, public_access=self._access(target))

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        client = self.service.get_container_client(target.external_id)
        steps = Steps()
        if self.needs_metadata(observed, diff):
            steps.add(
                "azure:SetContainerMetadata",
                lambda: client.set_container_metadata(self.metadata(target)),
                "metadata",
            )
        if "publicAccess" in top_fields(diff):
            steps.add("azure:SetContainerACL", lambda: self._set_access(client, target), "publicAccess")
        return steps

    def delete(self, target: Target) -> None:
        client = self.service.get_container_client(target.external_id)
        with self.errors(target, "ListBlobs"):
            try:
                first: Any = next(iter(client.list_blobs(results_per_page=1).by_page()), [])
                holds_blobs = any(True for _ in first)
            except Exception as exc:
                if is_not_found(exc):
                    return
                raise
        if holds_blobs:
            raise ProviderError(
                f"{target.key}: container {target.external_id} holds blobs; empty it first, or set "
                "kedge.dev/deletion-policy: Orphan to leave it in place"
            )
        with self.errors(target, "DeleteContainer"):
            try:
                client.delete_container()
            except Exception as exc:
                if not is_not_found(exc):
                    raise


class StorageQueue(Handler):
    spec = kinds.QUEUE

    @property
    def service(self) -> Any:
        return self.ctx.services("queue")

    def listing(self, where: str) -> dict[str, dict[str, Any]]:
        with azure_errors(where, secrets=self.ctx.secrets):
            return {q.name: {"metadata": q.metadata} for q in self.service.list_queues(include_metadata=True)}

    def state(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {"metadata": user_metadata(item.get("metadata"))}

    def url(self, name: str) -> str:
        return str(self.service.get_queue_client(name).url)

    def create_steps(self, target: Target) -> Steps:
        client = self.service.get_queue_client(target.external_id)

        def create() -> None:
            try:
                client.create_queue(metadata=self.metadata(target))
            except Exception as exc:
                if not is_exists(exc):
                    raise
                client.set_queue_metadata(self.metadata(target))  # exists with other metadata

        steps = Steps()
        steps.add("azure:CreateQueue", create)
        return steps

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        client = self.service.get_queue_client(target.external_id)
        steps = Steps()
        if self.needs_metadata(observed, diff):
            steps.add(
                "azure:SetQueueMetadata", lambda: client.set_queue_metadata(self.metadata(target)), "metadata"
            )
        return steps

    def delete(self, target: Target) -> None:
        with self.errors(target, "DeleteQueue"):
            try:
                self.service.get_queue_client(target.external_id).delete_queue()
            except Exception as exc:
                if not is_not_found(exc):
                    raise


class StorageTable(Handler):
    spec = kinds.TABLE
    marks = False

    @property
    def service(self) -> Any:
        return self.ctx.services("table")

    def lookup(self, name: str) -> str:
        return name.lower()  # table names are case-insensitive

    def listing(self, where: str) -> dict[str, dict[str, Any]]:
        with azure_errors(where, secrets=self.ctx.secrets):
            return {t.name.lower(): {"metadata": {}} for t in self.service.list_tables()}

    def state(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def url(self, name: str) -> str:
        return f"{str(self.service.url).rstrip('/')}/{name}"

    def create_steps(self, target: Target) -> Steps:
        def create() -> None:
            try:
                self.service.create_table(target.external_id)
            except Exception as exc:
                if not is_exists(exc):
                    raise

        steps = Steps()
        steps.add("azure:CreateTable", create)
        return steps

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        return Steps()  # a table has nothing to update

    def delete(self, target: Target) -> None:
        with self.errors(target, "DeleteTable"):
            try:
                self.service.delete_table(target.external_id)
            except Exception as exc:
                if not is_not_found(exc):
                    raise


HANDLERS: Mapping[str, type[Handler]] = {
    cls.spec.kind: cls for cls in (StorageContainer, StorageQueue, StorageTable)
}
