"""ProviderConfig settings of the azure provider, and the SDK clients built from them.

    settings: {connectionString: {fromEnv: AZURE_STORAGE_CONNECTION_STRING}}
    settings: {accountURL: https://acme.blob.core.windows.net, credential: {fromEnv: AZURE_KEY}}

A connection string names the blob, queue and table endpoints itself (azurite's does). An
``accountURL`` is the blob endpoint; the queue and table endpoints are derived from it when the
host is ``NAME.blob.<suffix>``. ``credential`` is an account key or a SAS token; without it,
requests are anonymous. Secret values are revealed here only, and never appear in messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kedge.model import ConfigError, Diagnostic
from kedge.model.values import reveal

SETTINGS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "Either connectionString, or accountURL with an optional credential.",
    "properties": {
        "connectionString": {
            "type": "string",
            "description": "Storage account connection string (a secret reference: {fromEnv: NAME}).",
        },
        "accountURL": {
            "type": "string",
            "pattern": "^https?://",
            "description": "Blob endpoint of the account, e.g. https://acme.blob.core.windows.net.",
        },
        "credential": {
            "type": "string",
            "description": "Account key or SAS token for accountURL (a secret reference). "
            "Without it, requests are anonymous.",
        },
        "retries": {
            "type": "integer",
            "minimum": 0,
            "maximum": 10,
            "default": 3,
            "description": "Retries of a failed request before the error reaches the engine.",
        },
    },
}

SERVICES = ("blob", "queue", "table")


def _error(field: str, message: str) -> ConfigError:
    return ConfigError(
        f"azure provider settings: {field}: {message}",
        [Diagnostic.error(message, path=f"spec.settings.{field}")],
    )


@dataclass(frozen=True)
class AzureSettings:
    connection_string: str | None
    account_url: str | None
    credential: str | None
    retries: int

    @classmethod
    def parse(cls, settings: Mapping[str, Any]) -> AzureSettings:
        clear = reveal(dict(settings))
        unknown = sorted(set(clear) - set(SETTINGS_SCHEMA["properties"]))
        if unknown:
            known = ", ".join(SETTINGS_SCHEMA["properties"])
            raise _error(unknown[0], f"unknown setting (known: {known})")
        conn, url, cred = clear.get("connectionString"), clear.get("accountURL"), clear.get("credential")
        for name, value in (("connectionString", conn), ("accountURL", url), ("credential", cred)):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise _error(name, "must be a non-empty string")
        if bool(conn) == bool(url):
            raise _error(
                "connectionString" if conn else "accountURL",
                "give exactly one of connectionString and accountURL",
            )
        if conn and cred:
            raise _error("credential", "only with accountURL (a connection string carries its own)")
        if conn and "=" not in conn:
            raise _error("connectionString", "is not a connection string (expected Key=Value;... pairs)")
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise _error("accountURL", "must be an http:// or https:// URL")
        retries = clear.get("retries", 3)
        if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 10:
            raise _error("retries", "must be an integer from 0 to 10")
        return cls(conn, url, cred, retries)

    def endpoint(self, service: str) -> str | None:
        """The URL of ``service`` for an accountURL, or None when it cannot be derived."""
        assert self.account_url is not None
        if service == "blob":
            return self.account_url
        parts = urlsplit(self.account_url)
        host = parts.hostname or ""
        labels = host.split(".")
        if len(labels) > 2 and labels[1] == "blob":
            labels[1] = service
            netloc = ".".join(labels) + (f":{parts.port}" if parts.port else "")
            return parts._replace(netloc=netloc).geturl()
        return None


def service_client(settings: AzureSettings, service: str, where: str) -> Any:
    """The SDK's service client for ``blob``, ``queue`` or ``table``."""
    options: dict[str, Any] = {"retry_total": settings.retries, "connection_timeout": 10, "read_timeout": 60}
    if service == "blob":
        from azure.storage.blob import BlobServiceClient, ExponentialRetry

        cls: Any = BlobServiceClient
        options["retry_policy"] = ExponentialRetry(
            initial_backoff=1, increment_base=2, retry_total=settings.retries
        )
    elif service == "queue":
        from azure.storage.queue import ExponentialRetry as QueueRetry
        from azure.storage.queue import QueueServiceClient

        cls = QueueServiceClient
        options["retry_policy"] = QueueRetry(
            initial_backoff=1, increment_base=2, retry_total=settings.retries
        )
    else:
        from azure.data.tables import TableServiceClient

        cls = TableServiceClient
    try:
        if settings.connection_string:
            return cls.from_connection_string(settings.connection_string, **options)
        url = settings.endpoint(service)
        if url is None:
            raise _error(
                "accountURL",
                f"{where}: the {service} endpoint cannot be derived from a URL whose host is not "
                "NAME.blob.<suffix>; use connectionString, which names every endpoint",
            )
        credential = _credential(settings.credential, url, service)
        return cls(url, credential=credential, **options)
    except ValueError as exc:  # the SDK's message names no secret; it says what is malformed
        field = "connectionString" if settings.connection_string else "accountURL"
        raise _error(field, str(exc).split("\n")[0]) from None


def is_sas(credential: str) -> bool:
    """A SAS token (``sv=...&sig=...``, with or without the leading ``?``), not an account key."""
    token = credential.lstrip("?")
    return "sig=" in token and "=" in token.split("&", 1)[0]


def _credential(credential: str | None, url: str, service: str) -> Any:
    """The SDK credential for a key or a SAS token (a bare string would be read as a key)."""
    if not credential:
        return None
    if is_sas(credential):
        from azure.core.credentials import AzureSasCredential

        return AzureSasCredential(credential.lstrip("?"))
    if service == "table":  # the table SDK takes a key only as a named credential
        from azure.core.credentials import AzureNamedKeyCredential

        host = urlsplit(url).hostname or ""
        path = urlsplit(url).path.strip("/")
        account = (
            path.split("/")[0]
            if host.replace(".", "").isdigit() or host == "localhost"
            else host.split(".")[0]
        )
        return AzureNamedKeyCredential(account, credential)
    return credential
