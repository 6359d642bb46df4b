"""What every AWS kind shares: the per-client context and the handler each kind implements.

A ``Handler`` serves one kind for one connected client. It observes many targets at once
(list or describe calls with filters where the API has them, the rest fanned out on the
client's bounded thread pool), creates, updates the fields a diff names, and deletes. Before
anything is sent, ``check`` refuses input that AWS would refuse (or, on the test server, would
wrongly accept) with a ``ConfigError`` that names the field.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

from kedge.model import UNKNOWN, ConfigError, KindSpec, Observation, ResourceKey
from kedge.model.resource import CLAIM_ANNOTATION
from kedge.model.values import redact_text, reveal, secret_values
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import aws_errors
from kedge.providers.aws.session import AwsSession
from kedge.providers.base import Applied, FieldChange, Target
from kedge.providers.steps import Steps

T = TypeVar("T")
R = TypeVar("R")

API_VERSION = "aws.kedge.dev/v1"


class Context:
    """Shared by the handlers of one client: boto3 clients, the app, the thread pool."""

    def __init__(self, session: AwsSession, app: str, pool: ThreadPoolExecutor) -> None:
        self.session = session
        self.app = app
        self.pool = pool
        self.region = session.region
        self._lock = threading.Lock()
        self._account: str | None = None

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` over ``items`` on the pool, results in order; the first failure is raised
        once every call has ended (none is left running behind the caller's back)."""
        futures: list[Future[R]] = [self.pool.submit(fn, item) for item in items]
        errors: list[BaseException] = []
        results: list[R] = []
        for future in futures:
            try:
                results.append(future.result())
            except BaseException as exc:  # re-raised below, after the others finished
                errors.append(exc)
        if errors:
            raise errors[0]
        return results

    def account_id(self, where: str) -> str:
        with self._lock:
            if self._account is None:
                with aws_errors(f"{where}: GetCallerIdentity"):
                    self._account = str(self.client("sts").get_caller_identity()["Account"])
            return self._account


def with_defaults(schema: Mapping[str, Any], value: Any) -> Any:
    """``value`` with the schema's defaults filled in, recursively through objects."""
    if not isinstance(value, Mapping) or schema.get("type") != "object":
        return value
    props: Mapping[str, Any] = schema.get("properties", {})
    out = dict(value)
    for name, sub in props.items():
        if name not in out and "default" in sub:
            out[name] = sub["default"]
        if name in out:
            out[name] = with_defaults(sub, out[name])
    return out


def top_fields(diff: Sequence[FieldChange]) -> set[str]:
    """The top-level spec fields a diff touches ("tags.env" -> "tags")."""
    return {change.path.split(".", 1)[0].split("[", 1)[0] for change in diff}


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


class Handler(ABC):
    spec: ClassVar[KindSpec]
    # Resources named by AWS (VPC ids): found again through the ownership tags.
    aws_named: ClassVar[bool] = False

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- the contract ---------------------------------------------------------------------
    @abstractmethod
    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]: ...

    @abstractmethod
    def create(self, target: Target) -> Applied: ...

    @abstractmethod
    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied: ...

    @abstractmethod
    def delete(self, target: Target, observed: Observation) -> None: ...

    def check(self, target: Target) -> None:  # noqa: B027 - optional hook, not abstract
        """Raise ConfigError for input AWS would refuse. Default: nothing beyond the schema."""

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        """The API calls a create (observed missing) or an update would make, for the plan."""
        return []

    # -- helpers ----------------------------------------------------------------------------
    def desired(self, target: Target) -> dict[str, Any]:
        """The target's spec, secrets revealed, schema defaults filled."""
        filled: dict[str, Any] = with_defaults(self.spec.schema, reveal(dict(target.spec)))
        return filled

    @contextmanager
    def errors(self, target: Target, operation: str, field: str | None = None) -> Iterator[None]:
        with aws_errors(f"{target.key}: {operation}", field, secret_values(target.spec)):
            yield

    def run(self, target: Target, steps: Steps) -> None:
        """Run ``steps`` in order; a failure names the resource, the call and the spec field."""
        steps.run(lambda step: self.errors(target, step.name.split(":", 1)[-1], step.field))

    def config_error(self, target: Target, field: str | None, message: str) -> ConfigError:
        """A refusal naming the resource and field; spec values quoted in it are scrubbed."""
        where = f"{target.key}: spec.{field}" if field else f"{target.key}"
        return ConfigError(redact_text(f"{where}: {message}", secret_values(target.spec)))

    def require_known(self, target: Target, *fields: str) -> None:
        """A reference to a resource that does not exist yet (or failed to create) is an error."""
        for field in fields:
            if is_unknown(target.spec.get(field)):
                raise self.config_error(
                    target,
                    field,
                    "refers to an output that is not known: the referenced resource "
                    "has not been created (did it fail?)",
                )

    def desired_tags(self, target: Target) -> dict[str, str]:
        return tagging.desired(
            target.spec, self.ctx.app, str(target.key), target.annotations.get(CLAIM_ANNOTATION)
        )

    def needs_tags(self, observed: Observation, diff: Sequence[FieldChange]) -> bool:
        """Tags are rewritten when they drifted or the ownership mark is not this app's."""
        return "tags" in top_fields(diff) or observed.owner != self.ctx.app

    def key_for(self, targets: Sequence[Target]) -> Mapping[str, Target]:
        return {str(t.key): t for t in targets}
