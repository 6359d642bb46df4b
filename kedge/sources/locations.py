"""Check repository URLs and git refs before git sees them.

A repository URL and a ref come from manifests, the server's configuration or the API: they
are untrusted text. Git has a long history of option injection through both (a host named
``-oProxyCommand=...``, a ref named ``--upload-pack=...``, the ``ext::`` transport that runs a
command), so everything is checked here and refused as a ``ConfigError`` before any git call.

Accepted URLs:

- ``https://host/path`` (``http://`` only when ``KEDGE_ALLOW_INSECURE_HTTP=1``);
- ``ssh://[user@]host[:port]/path`` and the scp-like ``user@host:path`` (treated as ssh);
- ``file:///absolute/path`` and absolute local paths.

Refs follow ``git check-ref-format`` (plus: no leading ``-``); a full 40-hex commit id is a ref
too. This module only checks text: it does not reach any repository.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from kedge.model import ConfigError
from kedge.model.values import REDACTED

INSECURE_HTTP_ENV = "KEDGE_ALLOW_INSECURE_HTTP"
MAX_URL_LENGTH = 2048
MAX_REF_LENGTH = 255

_SHA = re.compile(r"[0-9a-f]{40}")
_SCP_LIKE = re.compile(r"(?:(?P<user>[^@/:]+)@)?(?P<host>[^@/:]+):(?P<path>.+)")
_HOST = re.compile(r"[A-Za-z0-9._\-]+|\[[0-9A-Fa-f:.]+\]")
_USER = re.compile(r"[A-Za-z0-9._\-]+")
_REF_FORBIDDEN = set(" ~^:?*[\\")
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)[^/@\s:]*:[^/@\s]*@")


@dataclass(frozen=True)
class Location:
    """A checked repository URL.

    ``url`` is what git is given; ``key`` is the normalised form that names the cache (two
    spellings of one repository share it); ``local_path`` is set for paths and ``file://``.
    """

    url: str
    key: str
    scheme: str  # "https", "http", "ssh" or "file"
    local_path: str | None = None

    @property
    def is_local(self) -> bool:
        return self.local_path is not None


def strip_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` part of any URL in it masked (a bare user stays)."""
    return _USERINFO.sub(lambda m: m.group("scheme") + REDACTED + "@", text)


def _refuse(url: str, why: str) -> ConfigError:
    shown = url if len(url) <= 200 and not _has_control(url) else "the repository URL"
    if "://" in shown and "@" in shown:
        # Whatever precedes the last '@' may be a password, however oddly it is written.
        scheme, rest = shown.split("://", 1)
        shown = f"{scheme}://{REDACTED}@{rest.rsplit('@', 1)[1]}"
    return ConfigError(f"repository URL {shown!r} refused: {why}")


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def _check_segments(url: str, path: str) -> None:
    for segment in path.split("/"):
        if segment.startswith("-"):
            raise _refuse(url, "a path segment may not start with '-'")


def parse_url(url: str, *, env: Mapping[str, str] | None = None) -> Location:
    """Check ``url`` and return its ``Location``; raise ``ConfigError`` when it is refused."""
    environ = os.environ if env is None else env
    if not isinstance(url, str) or not url:
        raise ConfigError("repository URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise ConfigError(f"repository URL is longer than {MAX_URL_LENGTH} characters")
    if _has_control(url):
        raise _refuse(url, "it contains control characters")
    if url.startswith("-"):
        raise _refuse(url, "it starts with '-' (it would be read as an option)")
    if "::" in url.split("/", 1)[0]:
        raise _refuse(url, "transport helpers such as 'ext::' and 'fd::' are not allowed")
    if url.startswith("/"):
        return _local(url, url)
    if "://" in url:
        return _with_scheme(url, environ)
    scp = _SCP_LIKE.fullmatch(url)
    if scp:
        return _scp_like(url, scp.group("user"), scp.group("host"), scp.group("path"))
    raise _refuse(url, "use https://, ssh://, user@host:path, file:// or an absolute path")


def _local(url: str, path: str) -> Location:
    if not path.startswith("/"):
        raise _refuse(url, "a local repository path must be absolute")
    _check_segments(url, path)
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    return Location(url=normal, key="file://" + normal, scheme="file", local_path=normal)


def _with_scheme(url: str, environ: Mapping[str, str]) -> Location:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refuse(url, f"it is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise _refuse(url, "file:// URLs must name a local path (file:///path)")
        return _local(url, unquote(parts.path))
    if scheme == "http":
        if environ.get(INSECURE_HTTP_ENV) != "1":
            raise _refuse(url, f"plain http is not safe; use https (or set {INSECURE_HTTP_ENV}=1)")
    elif scheme not in ("https", "ssh"):
        raise _refuse(url, f"scheme {scheme!r} is not allowed (https, ssh, file)")
    if parts.password is not None:
        raise _refuse(url, "credentials may not be written in the URL; give them as source credentials")
    host = parts.hostname or ""
    if not host or not _HOST.fullmatch(host) or host.startswith("-"):
        raise _refuse(url, "the host name is missing or not valid")
    user = parts.username
    if user is not None and (not _USER.fullmatch(user) or user.startswith("-")):
        raise _refuse(url, "the user name is not valid")
    if parts.query or parts.fragment:
        raise _refuse(url, "a repository URL has no query or fragment")
    path = parts.path
    if not path or path == "/":
        raise _refuse(url, "the repository path is missing")
    _check_segments(url, path)
    netloc = host.lower() if port is None else f"{host.lower()}:{port}"
    if user:
        netloc = f"{user}@{netloc}"
    key = f"{scheme}://{netloc}{_trim(path)}"
    return Location(url=url, key=key, scheme=scheme)


def _scp_like(url: str, user: str | None, host: str, path: str) -> Location:
    if not _HOST.fullmatch(host) or host.startswith("-"):
        raise _refuse(url, "the host name is not valid")
    if user is not None and (not _USER.fullmatch(user) or user.startswith("-")):
        raise _refuse(url, "the user name is not valid")
    _check_segments(url, path)
    netloc = f"{user}@{host.lower()}" if user else host.lower()
    return Location(url=url, key=f"ssh://{netloc}/{_trim(path).lstrip('/')}", scheme="ssh")


def _trim(path: str) -> str:
    """The path part of the cache key: one repository, whatever the trailing ``/`` or ``.git``."""
    path = path.rstrip("/")
    return path.removesuffix(".git") or path


def is_sha(ref: str) -> bool:
    return bool(_SHA.fullmatch(ref))


def check_ref(ref: str) -> str:
    """Return ``ref`` when it is a valid branch, tag, full ref name or commit id."""
    if not isinstance(ref, str) or not ref:
        raise ConfigError("git ref is empty")
    shown = ref if len(ref) <= 100 and not _has_control(ref) else "the ref"
    if len(ref) > MAX_REF_LENGTH:
        raise ConfigError(f"git ref is longer than {MAX_REF_LENGTH} characters")
    why = _ref_problem(ref)
    if why:
        raise ConfigError(f"git ref {shown!r} refused: {why}")
    return ref


def _ref_problem(ref: str) -> str | None:
    if is_sha(ref) or ref == "HEAD":
        return None
    if ref.startswith("-"):
        return "it starts with '-' (it would be read as an option)"
    if _has_control(ref):
        return "it contains control characters"
    bad = sorted(_REF_FORBIDDEN.intersection(ref))
    if bad:
        return f"it contains {' '.join(repr(c) for c in bad)}"
    if ".." in ref:
        return "it contains '..'"
    if "@{" in ref or ref == "@":
        return "it contains '@{'"
    if ref.endswith("/") or ref.endswith("."):
        return "it ends with '/' or '.'"
    for part in ref.split("/"):
        if not part:
            return "it contains an empty component ('//' or a leading '/')"
        if part.startswith("."):
            return "a component starts with '.'"
        if part.endswith(".lock"):
            return "a component ends with '.lock'"
    return None
