"""The AWS provider object that the ``kedge.providers`` entry point yields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedge.model import KindSpec
from kedge.providers.aws.client import AwsClient
from kedge.providers.aws.kinds import HANDLERS
from kedge.providers.aws.session import SETTINGS_SCHEMA, AwsSession, AwsSettings
from kedge.providers.base import ConnectContext


class AwsProvider:
    name = "aws"
    kinds: Mapping[str, KindSpec] = {kind: cls.spec for kind, cls in HANDLERS.items()}
    settings_schema: Mapping[str, Any] = SETTINGS_SCHEMA

    def connect(self, settings: Mapping[str, Any], context: ConnectContext) -> AwsClient:
        where = f"ProviderConfig {context.provider_config}"
        session = AwsSession(AwsSettings.parse(settings, where), where, context.app)
        return AwsClient(session, context.app, context.provider_config)
