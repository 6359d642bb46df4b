"""The gcp provider (``gcp.kedge.dev/v1``): Cloud Storage buckets on google-cloud-storage.

    provider.connect({"project": "acme-prod"}, ConnectContext(app="payments"))

``settings`` reads the ProviderConfig and builds the storage client (anonymous against an
emulator); ``buckets`` holds the ``GCSBucket`` kind; ``errors`` maps the SDK's failures to
Kedge's errors. See docs/providers/gcp.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedge.model import KindSpec
from kedge.providers.base import ConnectContext
from kedge.providers.gcp.buckets import SPEC
from kedge.providers.gcp.client import GcpClient
from kedge.providers.gcp.settings import SETTINGS_SCHEMA, GcpSettings

__all__ = ["GcpClient", "GcpProvider", "provider"]


class GcpProvider:
    name = "gcp"
    kinds: Mapping[str, KindSpec] = {SPEC.kind: SPEC}
    settings_schema: Mapping[str, Any] = SETTINGS_SCHEMA

    def connect(self, settings: Mapping[str, Any], context: ConnectContext) -> GcpClient:
        return GcpClient(GcpSettings.parse(settings), context.app, context.provider_config)


provider = GcpProvider()
