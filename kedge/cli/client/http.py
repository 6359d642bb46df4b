"""``ApiClient``: the REST API of ``kedge serve`` over HTTP, for the client commands.

The token travels in the ``Authorization`` header only, never in a URL, and never in an error
message. Failures become Kedge errors with the server's own message (``{code, message,
details}``) and, for the usual mistakes, what to do: no server given, server unreachable,
token refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import kedge
from kedge.cli.client.options import ServerOpt, TokenOpt
from kedge.model import ConfigError, KedgeError

__all__ = ["ApiClient", "ServerError", "ServerOpt", "TokenOpt"]

if TYPE_CHECKING:  # httpx is imported by the first request: `kedge --help` never loads it
    import httpx

HINTS = {
    401: "the server refused the token (unknown, expired or revoked): check --token or KEDGE_TOKEN",
    403: "the token's role is too low for this",
    429: "too many failed sign-ins from this address: wait a few minutes",
}


class ServerError(KedgeError):
    """The server answered with an error; ``code`` is its stable code (``not_found``, ...)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ApiClient:
    def __init__(
        self,
        server: str | None,
        token: str | None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not server:
            raise ConfigError("no server given: pass --server URL or set KEDGE_SERVER")
        if not server.startswith(("http://", "https://")):
            raise ConfigError(f"--server must be an http:// or https:// URL, not {server!r}")
        if not token:
            raise ConfigError(
                "no token given: pass --token or set KEDGE_TOKEN (an admin makes one with "
                "'kedge token create')"
            )
        import httpx

        self.server = server.rstrip("/")
        self._http = httpx.Client(
            base_url=self.server,
            headers={
                "Authorization": f"Bearer {token.strip()}",
                "User-Agent": f"kedge/{kedge.__version__}",
                "Accept": "application/json",
            },
            timeout=timeout,
            transport=transport,
        )

    def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        import httpx

        try:
            response = self._http.request(
                method, path, json=json, params={k: v for k, v in (params or {}).items() if v is not None}
            )
        except httpx.TimeoutException:
            raise KedgeError(f"the server at {self.server} did not answer in time") from None
        except httpx.HTTPError as err:
            raise KedgeError(f"cannot reach the server at {self.server}: {_reason(err)}") from None
        if response.status_code >= 400:
            raise _error(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise KedgeError(f"the server at {self.server} answered something that is not JSON") from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json=body if body is not None else {})

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def _reason(err: httpx.HTTPError) -> str:
    text = str(err) or type(err).__name__
    return text.split("] ", 1)[-1]  # "[Errno 111] Connection refused" -> "Connection refused"


def _error(response: httpx.Response) -> ServerError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return ServerError(status, "error", f"the server answered {status} {response.reason_phrase}")
    code = str(body.get("code", "error"))
    message = str(body.get("message", response.reason_phrase))
    if status == 401:
        # One message: what the server said adds nothing to "your token was refused".
        return ServerError(status, code, HINTS[status])
    hint = f": {HINTS[status]}" if status in HINTS else ""
    lines = [f"{message} ({status} {code}){hint}"]
    details = body.get("details")
    if isinstance(details, list):
        for item in details[:20]:
            if isinstance(item, dict):
                where = item.get("field") or item.get("file") or ""
                lines.append(f"  {where}: {item.get('message', '')}".rstrip())
    return ServerError(status, code, "\n".join(lines))
