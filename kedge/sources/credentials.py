"""Credentials for a git remote, and the error text that must never show them.

``Credentials`` carries clear values: the caller reveals a ``Secret`` just before building
them. ``repr`` hides the token and passphrase, and every git error message passes through
``scrub`` (which also drops user:password parts git may echo back from a URL) before it is
raised.

Authentication is answered once per connection: when the server refuses what was offered,
the next request for credentials raises ``AuthRefused`` instead of looping until libgit2 gives
up with an unhelpful message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pygit2

from kedge.model.values import redact_text
from kedge.sources.locations import strip_userinfo


@dataclass(frozen=True)
class Credentials:
    """How to authenticate: a token for https, a key for ssh. Paths for the key files."""

    username: str | None = None
    token: str | None = field(default=None, repr=False)
    ssh_key: str | None = None
    ssh_pubkey: str | None = None
    passphrase: str | None = field(default=None, repr=False)

    def secrets(self) -> list[str]:
        return [s for s in (self.token, self.passphrase) if s]


class AuthRefused(Exception):
    """The remote refused the credentials offered (or none were given and it asked for some)."""


def scrub(text: str, credentials: Credentials | None) -> str:
    """``text`` without credential values or user-info parts of URLs."""
    text = strip_userinfo(text)
    if credentials is not None:
        text = redact_text(text, credentials.secrets())
    return text


def _public_key(creds: Credentials) -> str | None:
    """The public key file: given, or beside the private key; None lets libssh2 derive it."""
    if creds.ssh_pubkey:
        return creds.ssh_pubkey
    beside = f"{creds.ssh_key}.pub"
    return beside if os.path.isfile(beside) else None


class Callbacks(pygit2.RemoteCallbacks):  # type: ignore[misc]
    """Answers libgit2's requests for credentials from one ``Credentials``."""

    def __init__(self, credentials: Credentials | None) -> None:
        super().__init__()
        self._credentials = credentials
        self._offered: set[str] = set()

    def credentials(self, url: str, username_from_url: str | None, allowed_types: Any) -> Any:
        creds = self._credentials
        types = pygit2.enums.CredentialType
        if allowed_types & types.USERNAME:
            # ssh asks for the user name first when the URL has none: not an attempt yet.
            return pygit2.Username(username_from_url or (creds and creds.username) or "git")
        if creds is None:
            raise AuthRefused("the remote asks for credentials and none are configured")
        if allowed_types & types.SSH_KEY and creds.ssh_key:
            self._once("ssh key")
            user = username_from_url or creds.username or "git"
            return pygit2.Keypair(user, _public_key(creds), creds.ssh_key, creds.passphrase or "")
        if allowed_types & types.USERPASS_PLAINTEXT and creds.token:
            self._once("token")
            # Forges accept any user name with a token; GitHub documents this one.
            return pygit2.UserPass(creds.username or username_from_url or "x-access-token", creds.token)
        raise AuthRefused("the remote asks for a kind of credentials that is not configured")

    def _once(self, kind: str) -> None:
        if kind in self._offered:
            raise AuthRefused(f"the remote refused the {kind}")
        self._offered.add(kind)
