"""What the HTTP gateways share: a bounded POST, a JSON reply, and secrets kept out of errors."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import structlog

from payable.providers.base import ProviderUnavailable

log = structlog.get_logger("payable.providers")


async def post(
    client: httpx.AsyncClient | None, url: str, *, seconds: float, label: str, **body: Any
) -> httpx.Response:
    """POST with the whole exchange bounded (httpx's own timeout is per socket operation).

    Failures are raised ``from None``: httpx errors carry the request, which carries credentials.
    """
    try:
        async with asyncio.timeout(seconds):
            if client is not None:
                return await client.post(url, timeout=seconds, **body)
            async with httpx.AsyncClient() as own:
                return await own.post(url, timeout=seconds, **body)
    except (TimeoutError, httpx.RequestError) as exc:
        log.warning("provider.unavailable", operation=label)
        raise ProviderUnavailable(f"{label}: {type(exc).__name__}") from None


def json_object(response: httpx.Response, label: str) -> dict[str, Any]:
    """The reply as a JSON object, decimals exact (gateways answer HTTP 200 even on failure)."""
    try:
        reply = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        log.warning("provider.unreadable", operation=label)
        raise ProviderUnavailable(
            f"{label}: non-JSON reply (HTTP {response.status_code})"
        ) from None
    if not isinstance(reply, dict):
        raise ProviderUnavailable(f"{label}: reply is not a JSON object")
    return reply


def redact(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:200]
