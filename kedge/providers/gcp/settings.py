"""ProviderConfig settings of the gcp provider, and the storage client built from them.

    settings: {project: acme-prod}                                   # Application Default Credentials
    settings: {project: acme-prod, credentialsFile: /etc/kedge/sa.json}
    settings: {project: test, endpointURL: http://127.0.0.1:9023}     # an emulator: anonymous

With ``endpointURL`` and no ``credentialsFile`` requests are anonymous (what emulators
expect); otherwise credentials come from the service-account file or Google's default chain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kedge.model import ConfigError, Diagnostic
from kedge.model.values import reveal

SETTINGS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["project"],
    "properties": {
        "project": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
            "description": "Project id that buckets are created in and listed from.",
        },
        "endpointURL": {
            "type": "string",
            "pattern": "^https?://",
            "description": "Another endpoint than Google's (an emulator); requests are anonymous "
            "unless credentialsFile is set.",
        },
        "credentialsFile": {
            "type": "string",
            "description": "Path of a service-account key file. Without it: Application Default "
            "Credentials (or anonymous with endpointURL).",
        },
    },
}

_PROJECT = re.compile(str(SETTINGS_SCHEMA["properties"]["project"]["pattern"]))


def _error(field: str, message: str) -> ConfigError:
    return ConfigError(
        f"gcp provider settings: {field}: {message}",
        [Diagnostic.error(message, path=f"spec.settings.{field}")],
    )


@dataclass(frozen=True)
class GcpSettings:
    project: str
    endpoint_url: str | None
    credentials_file: str | None

    @classmethod
    def parse(cls, settings: Mapping[str, Any]) -> GcpSettings:
        clear = reveal(dict(settings))
        known = SETTINGS_SCHEMA["properties"]
        unknown = sorted(set(clear) - set(known))
        if unknown:
            raise _error(unknown[0], f"unknown setting (known: {', '.join(known)})")
        project = clear.get("project")
        if not isinstance(project, str) or not _PROJECT.match(project):
            raise _error("project", "required: a project id (6 to 30 lowercase letters, digits, hyphens)")
        url, path = clear.get("endpointURL"), clear.get("credentialsFile")
        if url is not None and (not isinstance(url, str) or not re.match("^https?://[^/]", url)):
            raise _error("endpointURL", "must be an http:// or https:// URL")
        if path is not None and (not isinstance(path, str) or not path):
            raise _error("credentialsFile", "must be the path of a service-account key file")
        return cls(project, url.rstrip("/") if url else None, path)

    @property
    def anonymous(self) -> bool:
        return self.endpoint_url is not None and self.credentials_file is None


def storage_client(settings: GcpSettings) -> Any:
    """A ``google.cloud.storage.Client`` for the settings."""
    from google.cloud import storage

    options = {"api_endpoint": settings.endpoint_url} if settings.endpoint_url else None
    if settings.anonymous:
        from google.auth.credentials import AnonymousCredentials

        credentials: Any = AnonymousCredentials()  # type: ignore[no-untyped-call]
    elif settings.credentials_file:
        from google.oauth2 import service_account

        file = Path(settings.credentials_file)
        try:
            credentials = service_account.Credentials.from_service_account_file(str(file))  # type: ignore[no-untyped-call]
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not a service-account key file"
            raise _error("credentialsFile", f"cannot read {file}: {reason}") from None
    else:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        try:
            credentials, _ = google.auth.default()
        except DefaultCredentialsError:
            raise _error(
                "credentialsFile",
                "no Google credentials found: set credentialsFile, or GOOGLE_APPLICATION_CREDENTIALS",
            ) from None
    return storage.Client(project=settings.project, credentials=credentials, client_options=options)
