"""The local provider (``local.kedge.dev/v1``): files and directories under one root directory.

    provider.connect({"root": "/srv/app"}, ConnectContext(app="payments")).create(target)

``kinds`` declares ``File`` and ``Directory``; ``paths`` keeps every operation inside the root;
``files`` does the atomic reads and writes; ``client`` turns targets into those; ``watch`` turns
inotify into drift hints. Registered as the ``local`` entry point of ``kedge.providers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedge.model import ConfigError, Diagnostic, KindSpec
from kedge.model.values import reveal
from kedge.providers.base import ConnectContext
from kedge.providers.local.client import LocalClient
from kedge.providers.local.kinds import KINDS, SETTINGS_SCHEMA
from kedge.providers.local.paths import parse_path

__all__ = ["LocalClient", "LocalProvider", "provider"]


def _settings_error(field: str, message: str) -> ConfigError:
    return ConfigError(
        f"local provider settings: {field}: {message}",
        [Diagnostic.error(message, path=f"spec.settings.{field}")],
    )


class LocalProvider:
    name = "local"
    kinds: Mapping[str, KindSpec] = KINDS
    settings_schema: Mapping[str, Any] = SETTINGS_SCHEMA
    path_settings = ("root",)  # relative to the manifest that declares the ProviderConfig

    def check(self, kind: str, spec: Mapping[str, Any]) -> list[Diagnostic]:
        """Refuse, before anything is observed, a path that would leave the root."""
        try:
            parse_path(spec.get("path"))
        except ConfigError as err:
            return list(err.diagnostics)
        return []

    def connect(self, settings: Mapping[str, Any], context: ConnectContext) -> LocalClient:
        settings = reveal(settings)
        unknown = sorted(set(settings) - set(SETTINGS_SCHEMA["properties"]))
        if unknown:
            raise _settings_error(unknown[0], "unknown setting (known: root, fsync)")
        root = settings.get("root")
        if not isinstance(root, str) or not root or "\0" in root:
            raise _settings_error("root", "required: the directory that file paths are relative to")
        fsync = settings.get("fsync", False)
        if not isinstance(fsync, bool):
            raise _settings_error("fsync", "must be true or false")
        return LocalClient(root, context, fsync=fsync)


provider = LocalProvider()
