"""Connection settings and boto3 sessions: one session per Kedge client.

A ProviderConfig's ``settings`` become an ``AwsSettings``; ``AwsSession`` turns it into boto3
clients that all share one botocore ``Config`` (retry mode and attempts, timeouts, a connection
pool as large as the thread pool) and, with ``roleARN``, credentials from STS AssumeRole
(``AssumedRole``): one session per app, named after the app, kept in memory only and renewed
before they expire. Credentials otherwise come from boto3's usual chain
(environment, ``profile``, container or instance metadata).

This module makes no API call at connect time: a wrong setting shows up on the first call,
through ``kedge.providers.aws.errors``.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from kedge.model import ConfigError, ProviderError
from kedge.model.values import reveal

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_CONCURRENCY = 16
DEFAULT_SESSION_SECONDS = 3600
_UNITS = {"s": 1, "m": 60, "h": 3600}

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
        "sessionDuration": {
            "type": "string",
            "pattern": "^[0-9]+(s|m|h)$",
            "description": "Lifetime of the assumed-role credentials, 15m to 12h (default 1h); "
            "they are renewed before they expire.",
        },
        "eventQueue": {
            "type": "string",
            "minLength": 1,
            "description": "SQS queue (name or URL) that an EventBridge rule fills with the managed "
            "services' change events: drift is then seen at once, not at the next sweep.",
        },
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
    session_duration: int = DEFAULT_SESSION_SECONDS
    event_queue: str | None = None
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
        duration = text("sessionDuration")
        seconds = DEFAULT_SESSION_SECONDS
        if duration is not None:
            match = re.fullmatch(r"([0-9]+)(s|m|h)", duration)
            seconds = int(match.group(1)) * _UNITS[match.group(2)] if match else 0
            if not 900 <= seconds <= 43200:
                raise ConfigError(
                    f"{where}: settings.sessionDuration must be a duration from 15m to 12h, such as 1h"
                )
        return cls(
            region=text("region"),
            endpoint_url=text("endpointURL"),
            profile=text("profile"),
            role_arn=text("roleARN"),
            external_id=text("externalID"),
            session_duration=seconds,
            event_queue=text("eventQueue"),
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

    def __init__(
        self,
        settings: AwsSettings,
        where: str,
        app: str = "kedge",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.where = where
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
            # botocore offers no public setter for refreshable credentials on a session.
            base._credentials = AssumedRole(  # type: ignore[attr-defined]
                settings, self.config, where, session_name(app), clock
            ).credentials()
        self._session = boto3.Session(botocore_session=base, region_name=region)

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


# Assumed-role credentials of this process, by (app, role, settings): memory only.
_SHARED: dict[tuple[Any, ...], DeferredRefreshableCredentials] = {}
_SHARED_LOCK = threading.Lock()


def session_name(app: str) -> str:
    """The app's name as an STS role session name (2-64 of ``[A-Za-z0-9+=,.@-]``), so that
    CloudTrail shows which app made each call."""
    name = re.sub(r"[^A-Za-z0-9+=,.@-]", "-", app)[:64]
    return name if len(name) >= 2 else f"kedge-{name}"


class AssumedRole:
    """Short-lived credentials of ``roleARN`` for one app, renewed before they expire.

    They live in memory only (botocore's refreshable credentials; no cache file). Renewal
    starts when less than a third of the lifetime is left (at most 15 minutes before expiry)
    and is forced with a sixth left, so a long apply never runs into expired credentials.
    A role that cannot be assumed fails the call that needed it with a ``ProviderError``
    naming the role and what to check.
    """

    def __init__(
        self,
        settings: AwsSettings,
        config: Config,
        where: str,
        name: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.where = where
        self.name = name
        self.injected_clock = clock
        self.clock = clock or (lambda: datetime.now(UTC))
        source = boto3.Session(botocore_session=botocore.session.Session(profile=settings.profile))
        self._sts = source.client("sts", endpoint_url=settings.endpoint_url, config=config)
        self.assumed = 0  # AssumeRole calls made

    def credentials(self) -> DeferredRefreshableCredentials:
        """The app's credentials for this role. A reconcile connects anew each time: the
        credentials of the process's earlier connections are reused while they are fresh
        (held in memory, by app, role and settings), instead of a new AssumeRole each time."""
        key = (
            self.name,
            self.settings.role_arn,
            self.settings.external_id,
            self.settings.session_duration,
            self.settings.profile,
            self.settings.endpoint_url,
        )
        with _SHARED_LOCK:
            shared = _SHARED.get(key) if self.injected_clock is None else None
            if shared is not None:
                return shared
            lifetime = self.settings.session_duration
            credentials = DeferredRefreshableCredentials(
                refresh_using=self.fetch, method="assume-role", time_fetcher=self.clock
            )
            credentials._advisory_refresh_timeout = min(900, lifetime // 3)  # type: ignore[attr-defined]
            credentials._mandatory_refresh_timeout = min(600, lifetime // 6)  # type: ignore[attr-defined]
            if self.injected_clock is None:
                _SHARED[key] = credentials
            return credentials

    def fetch(self) -> dict[str, Any]:
        request: dict[str, Any] = {
            "RoleArn": self.settings.role_arn,
            "RoleSessionName": self.name,
            "DurationSeconds": self.settings.session_duration,
        }
        if self.settings.external_id:
            request["ExternalId"] = self.settings.external_id
        try:
            answer = self._sts.assume_role(**request)["Credentials"]
        except ClientError as exc:
            error = exc.response.get("Error", {})
            hint = " and externalID" if self.settings.external_id else ""
            raise ProviderError(
                f"{self.where}: cannot assume role {self.settings.role_arn} as session {self.name} "
                f"({error.get('Code', '')}: {error.get('Message', '')}); check that the role exists, "
                f"that its trust policy allows sts:AssumeRole to Kedge's own credentials{hint}, and "
                "that sessionDuration is within the role's maximum session duration"
            ) from None
        self.assumed += 1
        return {
            "access_key": answer["AccessKeyId"],
            "secret_key": answer["SecretAccessKey"],
            "token": answer["SessionToken"],
            "expiry_time": answer["Expiration"].isoformat(),
        }
