"""Which client a request comes from, when a reverse proxy may stand in front of the server.

The failed sign-in limiter counts per client address. ``X-Forwarded-For`` is believed only when
the connection comes from a configured proxy (``ServerConfig spec.trustedProxies``: addresses or
CIDR networks); then the client is the right-most address of the header that is not itself a
trusted proxy. From any other peer, loopback included, the header is ignored, so a client cannot
choose a fresh address for every guess. Without trusted proxies nothing is rewritten.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Sequence[str]) -> list[Network]:
    """The networks of ``entries``; ``ValueError`` naming the first one that is not an address."""
    networks = []
    for i, entry in enumerate(entries):
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"spec.trustedProxies[{i}]: {entry!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_in(address: str, networks: Sequence[Network]) -> bool:
    ip = _address(address)
    return ip is not None and any(ip in net for net in networks)


def forwarded_client(peer: str, header: str | None, networks: Sequence[Network]) -> str:
    """The client address of a request from ``peer`` that carried ``X-Forwarded-For: header``."""
    if not header or not _is_in(peer, networks):
        return peer
    hops = [h.strip() for h in header.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_in(hop, networks):
            return hop if _address(hop) is not None else peer
    return hops[0] if hops else peer


class TrustedProxies:
    """ASGI middleware: rewrite the scope's client from ``X-Forwarded-For`` of trusted proxies."""

    def __init__(self, app: ASGIApp, networks: Sequence[Network] = ()) -> None:
        self.app = app
        self.networks = list(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if self.networks and scope["type"] in ("http", "websocket") and client:
            values = [v.decode("latin-1") for n, v in scope.get("headers", ()) if n == b"x-forwarded-for"]
            address = forwarded_client(client[0], ",".join(values) or None, self.networks)
            if address != client[0]:
                scope = {**scope, "client": (address, 0)}
        await self.app(scope, receive, send)
