"""Turn Azure SDK failures into Kedge errors that name the resource, the call and the field.

    ServiceRequestError, ServiceResponseError (no answer, dropped connection) -> TemporaryError
    HttpResponseError 408, 429, 5xx                                            -> TemporaryError
    ClientAuthenticationError, 401, 403 (bad key, expired SAS)                 -> ProviderError
    HttpResponseError 400 (a value the service refuses)                        -> ConfigError
    anything else                                                              -> ProviderError

"Not found" is never decided here: a kind checks ``is_not_found`` for the one call where it
means "no such resource", so an error is never read as "gone". Messages are cut to the
service's first line (no request dump) and scrubbed of every secret the caller names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from kedge.model import ConfigError, KedgeError, ProviderError, TemporaryError
from kedge.model.values import redact_text


def status_of(exc: BaseException) -> int:
    return int(getattr(exc, "status_code", 0) or 0)


def code_of(exc: BaseException) -> str:
    return str(getattr(exc, "error_code", "") or "")


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, ResourceNotFoundError) or status_of(exc) == 404


def is_exists(exc: BaseException) -> bool:
    return isinstance(exc, ResourceExistsError) or status_of(exc) == 409


def _first_line(exc: BaseException) -> str:
    message = str(getattr(exc, "message", None) or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def translate(exc: BaseException, where: str, field: str | None, secrets: Iterable[str]) -> KedgeError:
    secrets = list(secrets)

    def text(message: str) -> str:
        return redact_text(message, secrets)

    code = code_of(exc)
    detail = _first_line(exc) + (f" ({code})" if code and code not in _first_line(exc) else "")
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return TemporaryError(text(f"{where}: the storage service did not answer: {detail}"))
    status = status_of(exc)
    if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
        return ProviderError(
            text(
                f"{where}: access refused ({status or 'authentication'}): {detail}; check the "
                "ProviderConfig's connectionString or credential and the account's permissions"
            )
        )
    if status in (408, 429) or status >= 500:
        return TemporaryError(text(f"{where}: the storage service is busy or failing ({status}): {detail}"))
    if status == 400:
        place = f" (spec.{field})" if field else ""
        return ConfigError(text(f"{where}{place}: refused by the storage service: {detail}"))
    return ProviderError(text(f"{where}: {detail}"))


@contextmanager
def azure_errors(where: str, field: str | None = None, secrets: Iterable[str] = ()) -> Iterator[None]:
    """Run a block of SDK calls; SDK failures leave as Kedge errors (KedgeErrors pass)."""
    try:
        yield
    except KedgeError:
        raise
    except (AzureError, OSError) as exc:
        raise translate(exc, where, field, secrets) from None


__all__ = [
    "HttpResponseError",
    "azure_errors",
    "is_exists",
    "is_not_found",
    "translate",
]
