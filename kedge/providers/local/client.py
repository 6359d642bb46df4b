"""The local provider's client: observe, create, update and delete files and directories.

Every call checks the path again (``paths``) at the moment it runs, then works through the
parent directory's descriptor (``files``). Observations are normalised to compare with the
manifest: ``mode`` is spelled as the manifest spelled it when the bits agree, and ``content`` comes
back wrapped in ``Secret`` unless the manifest gives it as plain text (it may be a secret, or a
reference as written in the inventory), so that a plan or drift report prints a redaction marker,
not the file.

Errors never carry a secret value: each public call scrubs the secret values of its target out
of the message of any error it raises.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kedge.model import (
    ConfigError,
    Diagnostic,
    KedgeError,
    Observation,
    ProviderError,
    ResourceKey,
    Secret,
    TemporaryError,
)
from kedge.model.resource import CLAIM_ANNOTATION
from kedge.model.values import redact_text, reveal, secret_values
from kedge.providers.base import Applied, ConnectContext, Existing, FieldChange, Target, WatchEvent
from kedge.providers.local import files, listing
from kedge.providers.local.kinds import DIRECTORY, FILE, KINDS, format_mode, parse_mode
from kedge.providers.local.paths import Parts, Walker, open_parent, parse_path
from kedge.providers.local.stale import sweep


def _scrubbed(target: Target, exc: Exception) -> Exception:
    """``exc`` prefixed with the resource, with the target's secret values taken out of it."""
    secrets = list(secret_values(target.spec))
    message = redact_text(f"{target.key}: {exc}", secrets)
    if isinstance(exc, ConfigError):
        diagnostics = [
            Diagnostic(d.severity, redact_text(d.message, secrets), d.file, d.line, d.path)
            for d in exc.diagnostics
        ]
        return ConfigError(message, diagnostics)
    if isinstance(exc, TemporaryError):
        return TemporaryError(message, exc.delay)
    if isinstance(exc, ProviderError):
        return ProviderError(message, temporary=exc.temporary)
    if isinstance(exc, OSError):
        return ProviderError(redact_text(f"{target.key}: {exc.strerror or exc}", secrets))
    return exc


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ConfigError(f"the local provider has no kind {kind!r} (it serves {', '.join(KINDS)})")
    return kind


def _clear(value: Any) -> Any:
    return value if type(value) is str else reveal(value)


def _path_of(target: Target) -> tuple[str, Parts]:
    value = _clear(target.spec.get("path", target.external_id))
    return value, parse_path(value)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _content(target: Target) -> bytes:
    content = _clear(target.spec.get("content", ""))
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise ConfigError(
            "spec.content: must be a string", [Diagnostic.error("must be a string", path="spec.content")]
        )
    return content.encode("utf-8", "surrogateescape")


class LocalClient:
    """A connection to one root. Not shared between threads, except ``watch``."""

    # Every change under the root reaches ``watch`` (inotify, recursive; a restarted watcher
    # reports a rescan), so the controller may skip drift sweeps while it stays silent.
    watch_complete = True

    def __init__(self, root: str, context: ConnectContext, *, fsync: bool = False) -> None:
        self.root = os.path.abspath(os.path.expanduser(root))
        self.context = context
        self.fsync = fsync
        self._watched: dict[str, str] = {}  # relative path -> kind, for ``watch``
        sweep(self.root)  # temporary files of killed writers: Kedge's debris, not managed objects

    # -- observe -------------------------------------------------------------------------

    def observe_many(self, kind: str, targets: Sequence[Target]) -> Mapping[ResourceKey, Observation]:
        kind = _kind(kind)
        out: dict[ResourceKey, Observation] = {}
        with Walker(self.root) as walker:
            for target in targets:
                try:
                    out[target.key] = self._observe(kind, target, walker)
                except (KedgeError, OSError) as exc:
                    raise _scrubbed(target, exc) from None
        return out

    def _observe(self, kind: str, target: Target, walker: Walker) -> Observation:
        value, parts = _path_of(target)
        self._watched[value] = kind
        dir_fd = walker.parent(parts, value)
        if dir_fd is None:
            return Observation.missing()
        if kind == FILE:
            found = files.read_file(dir_fd, parts[-1], value)
            if found is None:
                return Observation.missing()
            content: Any = found.content
            if type(target.spec.get("content")) is not str:
                # A secret, a reference as written ({fromEnv: ...}) or nothing to tell: what the
                # file holds may be a secret, so it is never shown.
                content = Secret(found.content, source=f"content of {value}")
            mode = format_mode(found.mode, target.spec.get("mode"))
            outputs = {"path": self._abs(value), "sha256": found.sha256}
            state = {"path": value, "content": content, "mode": mode}
            return Observation(exists=True, state=state, outputs=outputs, owner=found.owner)
        seen = files.read_dir(dir_fd, parts[-1], value)
        if seen is None:
            return Observation.missing()
        state = {"path": value, "mode": format_mode(seen.mode, target.spec.get("mode"))}
        return Observation(exists=True, state=state, outputs={"path": self._abs(value)}, owner=seen.owner)

    def listable_kinds(self) -> Sequence[str]:
        return ("File",)

    def list_existing(self, kind: str) -> Sequence[Existing]:
        """Every file under the root (``kedge orphans``); read-only."""
        return listing.list_files(self.root) if kind == "File" else ()

    # -- apply ---------------------------------------------------------------------------

    def create(self, target: Target) -> Applied:
        kind = _kind(target.key.kind)
        try:
            return self._create(kind, target)
        except (KedgeError, OSError) as exc:
            raise _scrubbed(target, exc) from None

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        """Change only what differs from ``observed``: the content, the mode, the owner mark."""
        kind = _kind(target.key.kind)
        try:
            return self._update(kind, target, observed)
        except (KedgeError, OSError) as exc:
            raise _scrubbed(target, exc) from None

    def delete(self, target: Target, observed: Observation) -> None:
        kind = _kind(target.key.kind)
        try:
            value, parts = _path_of(target)
            dir_fd = open_parent(self.root, parts, value)
            if dir_fd is None:
                return
            try:
                files.remove(dir_fd, parts[-1], value, directory=kind == DIRECTORY)
                if self.fsync:
                    os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except (KedgeError, OSError) as exc:
            raise _scrubbed(target, exc) from None

    def close(self) -> None:
        self._watched.clear()

    def _create(self, kind: str, target: Target) -> Applied:
        value, parts = _path_of(target)
        mode = parse_mode(target.spec.get("mode"), kind)
        data = _content(target) if kind == FILE else b""
        self._watched[value] = kind
        dir_fd = open_parent(self.root, parts, value, create=True)
        assert dir_fd is not None  # a creating walk makes each directory or raises
        app, claim = self.context.app, target.annotations.get(CLAIM_ANNOTATION)
        try:
            if kind == FILE:
                files.write_file(dir_fd, parts[-1], value, data, mode, app, self.fsync, claim)
            else:
                files.make_dir(dir_fd, parts[-1], value, mode, app, claim)
        finally:
            os.close(dir_fd)
        return self._applied(kind, value, data)

    def _update(self, kind: str, target: Target, observed: Observation) -> Applied:
        value, parts = _path_of(target)
        mode = parse_mode(target.spec.get("mode"), kind)
        data = _content(target) if kind == FILE else b""
        seen_content = _clear(observed.state.get("content"))
        if not observed.exists or (kind == FILE and seen_content != _decode(data)):
            return self._create(kind, target)
        seen_mode = observed.state.get("mode")
        same_mode = isinstance(seen_mode, str) and parse_mode(seen_mode, kind) == mode
        same_owner = observed.owner == self.context.app
        if same_mode and same_owner:
            return self._applied(kind, value, data)
        dir_fd = open_parent(self.root, parts, value)
        if dir_fd is None:
            return self._create(kind, target)  # gone since it was observed: make it again
        try:
            changed = files.set_attributes(
                dir_fd,
                parts[-1],
                value,
                directory=kind == DIRECTORY,
                mode=None if same_mode else mode,
                owner=None if same_owner else self.context.app,
                claim=target.annotations.get(CLAIM_ANNOTATION),
            )
        finally:
            os.close(dir_fd)
        return self._applied(kind, value, data) if changed else self._create(kind, target)

    # -- watch ---------------------------------------------------------------------------

    def watch(self, stop: threading.Event | None = None) -> Iterator[WatchEvent]:
        """Yield an event for every change under the root, until ``stop`` is set.

        A path this client has observed or applied is reported with its kind; any other path
        with the kind its type suggests (a deleted unknown path counts as a File).
        """
        from kedge.providers.local.watch import watch_root

        yield from watch_root(self.root, self._kind_of, stop)

    def _kind_of(self, relative: str) -> str | None:
        return self._watched.get(relative)  # a dict read: safe beside the applying thread

    # -- helpers -------------------------------------------------------------------------

    def _abs(self, value: str) -> str:
        return f"{self.root}/{value}"

    def _applied(self, kind: str, value: str, data: bytes) -> Applied:
        if kind == DIRECTORY:
            return Applied(outputs={"path": self._abs(value)})
        return Applied(outputs={"path": self._abs(value), "sha256": hashlib.sha256(data).hexdigest()})
