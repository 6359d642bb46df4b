"""The azure provider (``azure.kedge.dev/v1``): blob containers, queues and tables of one
storage account, on the Azure SDK (azure-storage-blob, azure-storage-queue, azure-data-tables).

    provider.connect({"connectionString": ...}, ConnectContext(app="payments"))

``settings`` reads the ProviderConfig and builds the SDK clients; ``kinds`` declares the
schemas and Azure's naming rules; ``handlers`` observes (one list call per kind) and builds
the steps of each change; ``errors`` maps SDK failures to Kedge's errors. See
docs/providers/azure.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedge.model import KindSpec
from kedge.providers.azure.client import AzureClient
from kedge.providers.azure.kinds import KINDS
from kedge.providers.azure.settings import SETTINGS_SCHEMA, AzureSettings
from kedge.providers.base import ConnectContext

__all__ = ["AzureClient", "AzureProvider", "provider"]


class AzureProvider:
    name = "azure"
    kinds: Mapping[str, KindSpec] = KINDS
    settings_schema: Mapping[str, Any] = SETTINGS_SCHEMA

    def connect(self, settings: Mapping[str, Any], context: ConnectContext) -> AzureClient:
        return AzureClient(AzureSettings.parse(settings), context.app, context.provider_config)


provider = AzureProvider()
