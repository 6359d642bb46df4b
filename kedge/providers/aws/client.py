"""The connected AWS client: the provider contract, dispatched to one handler per kind.

One client serves one app through one ProviderConfig. It owns a boto3 session (one set of
credentials, one retry policy) and a bounded thread pool that every handler shares for the
calls AWS cannot batch. Local checks run before any call that would change something, and in
``preview`` so that the plan already shows the refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from kedge.model import ConfigError, KedgeError, Observation, ResourceKey
from kedge.model.values import redact_text, secret_values
from kedge.providers.aws import listing
from kedge.providers.aws.errors import aws_errors
from kedge.providers.aws.kinds import HANDLERS
from kedge.providers.aws.kinds.base import Context, Handler
from kedge.providers.aws.objects import S3Objects
from kedge.providers.aws.session import AwsSession
from kedge.providers.aws.watch import QueueWatch
from kedge.providers.base import Applied, Existing, FieldChange, Target, WatchEvent


class AwsClient:
    def __init__(self, session: AwsSession, app: str, provider_config: str = "default") -> None:
        self.session = session
        self.provider_config = provider_config
        self._pool = ThreadPoolExecutor(
            max_workers=session.settings.max_concurrency, thread_name_prefix=f"kedge-aws-{provider_config}"
        )
        self.ctx = Context(session, app, self._pool)
        self._handlers: dict[str, Handler] = {}

    def _handler(self, kind: str) -> Handler:
        handler = self._handlers.get(kind)
        if handler is None:
            cls = HANDLERS.get(kind)
            if cls is None:
                known = ", ".join(sorted(HANDLERS))
                raise ConfigError(f"the aws provider has no kind {kind!r} (kinds: {known})")
            handler = self._handlers[kind] = cls(self.ctx)
        return handler

    @property
    def api_calls(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self.session.total_calls

    def observe_many(self, kind: str, targets: Sequence[Target]) -> Mapping[ResourceKey, Observation]:
        if not targets:
            return {}
        with _scrubbed(*targets), aws_errors(f"{kind}: observe"):
            return self._handler(kind).observe_many(targets)

    def listable_kinds(self) -> Sequence[str]:
        return listing.KINDS

    def list_existing(self, kind: str) -> Sequence[Existing]:
        """Every object of ``kind`` in the region with its ownership tag (``kedge orphans``)."""
        return listing.list_kind(self.session, kind)

    def create(self, target: Target) -> Applied:
        handler = self._handler(target.key.kind)
        with _scrubbed(target):
            handler.check(target)
            with aws_errors(f"{target.key}: create"):
                return handler.create(target)

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        handler = self._handler(target.key.kind)
        with _scrubbed(target):
            handler.check(target)
            with aws_errors(f"{target.key}: update"):
                return handler.update(target, observed, diff)

    def delete(self, target: Target, observed: Observation) -> None:
        with _scrubbed(target), aws_errors(f"{target.key}: delete"):
            self._handler(target.key.kind).delete(target, observed)

    def preview(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Sequence[str]:
        """The AWS calls a create or update will make; ConfigError when the input is refused."""
        handler = self._handler(target.key.kind)
        with _scrubbed(target):
            handler.check(target)
        return handler.calls(target, observed, diff)

    def objects(self, target: Target) -> S3Objects:
        """The objects of an S3Bucket, for the cross-cloud copier (kedge.providers.objects)."""
        if target.key.kind != "S3Bucket":
            raise ConfigError(f"{target.key}: only an S3Bucket holds objects to copy")
        self._handler(target.key.kind).check(target)
        return S3Objects(self.session.client("s3"), target.external_id)
    def watch(self, stop: threading.Event | None = None) -> Iterator[WatchEvent]:
        """Change events from ``settings.eventQueue`` (see ``kedge.providers.aws.watch``)."""
        queue = self.session.settings.event_queue
        return QueueWatch(self.session, queue).watch(stop) if queue else iter(())

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.session.close()


@contextmanager
def _scrubbed(*targets: Target) -> Iterator[None]:
    """Last line of defence: no secret value of a spec leaves in an error message."""
    try:
        yield
    except KedgeError as exc:
        secrets = [s for t in targets for s in secret_values(t.spec)]
        text = str(exc)
        clean = redact_text(text, secrets)
        if clean != text:
            exc.args = (clean,)
        raise
