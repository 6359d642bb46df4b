"""Turn Google Cloud Storage failures into Kedge errors naming the resource, call and field.

    no answer, dropped connection, retries ran out   -> TemporaryError
    408, 429, 5xx                                    -> TemporaryError
    401, 403 (credentials, permissions)              -> ProviderError
    400 (a value the service refuses)                -> ConfigError
    anything else                                    -> ProviderError

"Not found" is decided by the caller for the one call where it means "no such bucket".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from google.api_core import exceptions as api
from google.auth.exceptions import GoogleAuthError
from requests import exceptions as http

from kedge.model import ConfigError, KedgeError, ProviderError, TemporaryError
from kedge.model.values import redact_text


def status_of(exc: BaseException) -> int:
    code = getattr(exc, "code", 0)
    return code if isinstance(code, int) else 0


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, api.NotFound)


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, api.Conflict)


def _detail(exc: BaseException) -> str:
    message = str(getattr(exc, "message", "") or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def translate(exc: BaseException, where: str, field: str | None, secrets: Iterable[str]) -> KedgeError:
    secrets = list(secrets)

    def text(message: str) -> str:
        return redact_text(message, secrets)

    if isinstance(exc, http.RequestException | api.RetryError | OSError):
        return TemporaryError(text(f"{where}: the storage service did not answer: {_detail(exc)}"))
    if isinstance(exc, GoogleAuthError):
        return ProviderError(text(f"{where}: credentials refused: {_detail(exc)}"))
    status = status_of(exc)
    if status in (401, 403):
        return ProviderError(
            text(
                f"{where}: access refused ({status}): {_detail(exc)}; check the ProviderConfig's "
                "credentialsFile and the project's permissions"
            )
        )
    if status in (408, 429) or status >= 500:
        return TemporaryError(
            text(f"{where}: the storage service is busy or failing ({status}): {_detail(exc)}")
        )
    if status == 400:
        place = f" (spec.{field})" if field else ""
        return ConfigError(text(f"{where}{place}: refused by the storage service: {_detail(exc)}"))
    return ProviderError(text(f"{where}: {_detail(exc)}"))


@contextmanager
def gcs_errors(where: str, field: str | None = None, secrets: Iterable[str] = ()) -> Iterator[None]:
    try:
        yield
    except KedgeError:
        raise
    except (api.GoogleAPIError, GoogleAuthError, http.RequestException, OSError) as exc:
        raise translate(exc, where, field, secrets) from None
