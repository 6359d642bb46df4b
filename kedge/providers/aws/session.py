"""Connection settings and boto3 sessions: one session per Kedge client.

A ProviderConfig's ``settings`` become an ``AwsSettings``; ``AwsSession`` turns it into boto3
clients that all share one botocore ``Config`` (retry mode and attempts, timeouts, a connection
pool as large as the thread pool) and, with ``roleARN``, credentials from STS AssumeRole that
refresh themselves before they expire. Credentials otherwise come from boto3's usual chain
(environment, ``profile``, container or instance metadata).

This module makes no API call at connect time: a wrong setting shows up on the first call,
through ``kedge.providers.aws.errors``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError

from kedge.model import ConfigError
from kedge.model.values import reveal

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_CONCURRENCY = 16

SETTINGS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "Where and as whom the AWS provider works.",
    "properties": {
        "region": {
            "type": "string",
            "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9]+$",
            "description": "AWS region, e.g. us-east-1. Default: the SDK's (AWS_REGION, profile).",
        },
        "endpointURL": {
            "type": "string",
            "pattern": "^https?://",
            "description": "Send every call to this URL instead of AWS (a test server, a VPC endpoint).",
        },
        "profile": {"type": "string", "description": "Named profile of the shared AWS config files."},
        "roleARN": {
            "type": "string",
            "pattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$",
            "description": "Assume this IAM role (STS AssumeRole) for every call of this ProviderConfig.",
        },
        "externalID": {"type": "string", "description": "ExternalId passed to AssumeRole."},
        "retryMode": {
            "enum": ["standard", "adaptive", "legacy"],
            "description": "SDK retry mode. Default: the SDK's setting (AWS_RETRY_MODE), else standard.",
        },
        "maxAttempts": {
            "type": "integer",
            "minimum": 1,
            "maximum": 20,
            "description": f"SDK attempts per call, throttling and 5xx included. Default: "
            f"AWS_MAX_ATTEMPTS, else {DEFAULT_MAX_ATTEMPTS}.",
        },
        "maxConcurrency": {
            "type": "integer",
            "minimum": 1,
            "maximum": 128,
            "description": f"Calls in flight at once while observing (default {DEFAULT_CONCURRENCY}).",
        },
        "connectTimeout": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds."},
        "readTimeout": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds."},
    },
}


@dataclass(frozen=True)
class AwsSettings:
    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    retry_mode: str | None = None
    max_attempts: int | None = None
    max_concurrency: int = DEFAULT_CONCURRENCY
    connect_timeout: float | None = None
    read_timeout: float | None = None

    @classmethod
    def parse(cls, settings: Mapping[str, Any], where: str) -> AwsSettings:
        """Settings as the ProviderConfig gives them (secrets allowed); ConfigError names the field."""
        values = reveal(dict(settings))
        unknown = sorted(set(values) - set(SETTINGS_SCHEMA["properties"]))
        if unknown:
            raise ConfigError(f"{where}: unknown aws setting(s) {', '.join(unknown)}")

        def text(name: str) -> str | None:
            value = values.get(name)
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{where}: settings.{name} must be a string")
            return value or None

        def number(name: str) -> float | None:
            value = values.get(name)
            if value is not None and (not isinstance(value, int | float) or value <= 0):
                raise ConfigError(f"{where}: settings.{name} must be a positive number")
            return None if value is None else float(value)

        mode = text("retryMode")
        if mode is not None and mode not in ("standard", "adaptive", "legacy"):
            raise ConfigError(f"{where}: settings.retryMode must be standard, adaptive or legacy")
        attempts, concurrency = number("maxAttempts"), number("maxConcurrency")
        return cls(
            region=text("region"),
            endpoint_url=text("endpointURL"),
            profile=text("profile"),
            role_arn=text("roleARN"),
            external_id=text("externalID"),
            retry_mode=mode,
            max_attempts=None if attempts is None else int(attempts),
            max_concurrency=DEFAULT_CONCURRENCY if concurrency is None else int(concurrency),
            connect_timeout=number("connectTimeout"),
            read_timeout=number("readTimeout"),
        )


class AwsSession:
    """boto3 clients for one ProviderConfig, created once per service and shared by threads.

    ``calls`` counts HTTP requests per operation (retries included): what a benchmark or a
    test reads to check that observation is batched.
    """

    def __init__(self, settings: AwsSettings, where: str) -> None:
        self.settings = settings
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        try:
            base = botocore.session.Session(profile=settings.profile)
            base.get_scoped_config()  # an unknown profile fails here, not on the first call
        except BotoCoreError as exc:
            raise ConfigError(f"{where}: settings.profile: {exc}") from None
        region = settings.region or base.get_config_variable("region")
        if not region:
            raise ConfigError(f"{where}: settings.region is required (or set AWS_REGION)")
        self.region: str = region
        mode = settings.retry_mode or base.get_config_variable("retry_mode") or "standard"
        attempts = settings.max_attempts or base.get_config_variable("max_attempts") or DEFAULT_MAX_ATTEMPTS
        self.config = Config(
            region_name=region,
            retries={"mode": mode, "total_max_attempts": int(attempts)},
            max_pool_connections=max(10, settings.max_concurrency + 2),
            connect_timeout=settings.connect_timeout or 10,
            read_timeout=settings.read_timeout or 60,
            user_agent_extra="kedge",
        )
        if settings.role_arn:
            self._assume_role(base, settings)
        self._session = boto3.Session(botocore_session=base, region_name=region)

    def _assume_role(self, base: botocore.session.Session, settings: AwsSettings) -> None:
        source = boto3.Session(botocore_session=botocore.session.Session(profile=settings.profile))

        def sts_client(service: str, **kwargs: Any) -> Any:
            return source.client(service, endpoint_url=settings.endpoint_url, config=self.config, **kwargs)

        extra: dict[str, Any] = {"RoleSessionName": "kedge"}
        if settings.external_id:
            extra["ExternalId"] = settings.external_id
        fetcher = AssumeRoleCredentialFetcher(
            client_creator=sts_client,
            source_credentials=_SourceCredentials(source),
            role_arn=settings.role_arn,
            extra_args=extra,
        )
        # botocore offers no public setter for refreshable credentials on a session.
        base._credentials = DeferredRefreshableCredentials(  # type: ignore[attr-defined]
            refresh_using=fetcher.fetch_credentials, method="assume-role"
        )

    def client(self, service: str, attempts: int | None = None) -> Any:
        """The shared client of ``service``; ``attempts`` asks for one that retries less (a
        probe of whether an API exists at all should not wait through the retries)."""
        key = service if attempts is None else f"{service}/{attempts}"
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                config = self.config
                if attempts is not None:
                    config = config.merge(
                        Config(retries={"mode": "standard", "total_max_attempts": attempts})
                    )
                client = self._session.client(service, endpoint_url=self.settings.endpoint_url, config=config)
                client.meta.events.register("before-send", self._count)
                self._clients[key] = client
            return client

    def _count(self, event_name: str = "", **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            self.calls[operation] += 1

    @property
    def total_calls(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


class _SourceCredentials:
    """The credentials AssumeRole is called with, resolved lazily from the source session."""

    def __init__(self, session: boto3.Session) -> None:
        self._session = session

    def get_frozen_credentials(self) -> Any:
        credentials = self._session.get_credentials()
        if credentials is None:
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError()
        return credentials.get_frozen_credentials()
