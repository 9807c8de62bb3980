"""Where an endpoint may point: no loopback, link-local or private addresses in production.

A webhook URL is chosen by a tenant's admin and fetched by our server, so without this check
it reaches what only the server can (cloud metadata at 169.254.169.254, the database, admin
ports): server-side request forgery. The check runs at registration and again before each
attempt, since a name can resolve elsewhere later.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from payable.settings import Settings
from payable.webhooks.refusals import WebhookRefusal


def guarded(settings: Settings) -> bool:
    """Whether internal addresses are refused: everywhere but development (a demo server
    faces the internet as a production one does)."""
    return settings.environment != "development"


def parse(url: str) -> str:
    """The host of an http(s) URL; INVALID_URL otherwise."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise WebhookRefusal.INVALID_URL.error(
            "url", "the URL must be http:// or https:// with a host"
        )
    if parts.username or parts.password:
        raise WebhookRefusal.INVALID_URL.error("url", "the URL must not carry credentials")
    return host


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def _resolve(host: str) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        raise WebhookRefusal.URL_NOT_RESOLVABLE.error("url", f"{host} does not resolve") from None
    return [str(info[4][0]) for info in found]


async def check(url: str, *, production: bool) -> None:
    """Refuse a URL this server must not call: malformed always, internal in production."""
    host = parse(url)
    if not production:
        return  # development: a receiver on this machine is the point
    addresses = await _resolve(host)
    if not addresses or not all(_public(a) for a in addresses):
        raise WebhookRefusal.URL_NOT_ALLOWED.error("url")
