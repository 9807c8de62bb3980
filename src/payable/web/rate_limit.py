"""Rate limits per client address and per bearer token, in this process (the `limits` library).

In-process rather than through PostgreSQL: counting in the database would spend a round trip
and a write on every request, including the floods the limits exist to stop, and would fail
with the database. The price is that each instance counts alone, so N instances admit N times
a limit; set the limits per instance. A refusal is HTTP 429 with ``Retry-After``; GraphQL's
carries ``extensions.code = RATE_LIMITED``. Nothing before the limit reads the body.
"""

from __future__ import annotations

import hashlib
import json
import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payable.settings import Settings
from payable.tenants import service as tenants


class Limiter:
    """The process's counters: one moving window per (limit, key)."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.per_address = parse(settings.rate_limit_per_address)
        self.per_token = parse(settings.rate_limit_per_token)
        self.webhooks = parse(settings.rate_limit_webhooks)
        self.return_page = parse(settings.rate_limit_return_page)
        self.new_tenants = parse(settings.rate_limit_new_tenants)
        self.replay = RateLimitItemPerMinute(settings.subscription_replay_per_minute)

    async def admit(self, item: RateLimitItem, *keys: str) -> int | None:
        """None when admitted; else the seconds until the caller may try again."""
        if not self.enabled:
            return None
        if await self.limiter.hit(item, *keys):
            return None
        reset, _ = await self.limiter.get_window_stats(item, *keys)
        return max(1, math.ceil(reset - time.time()))

    async def grant(self, item: RateLimitItem, wanted: int, *keys: str) -> tuple[int, int | None]:
        """Up to ``wanted`` hits at once: how many were granted, and when that is fewer than
        wanted, the seconds until more will be."""
        if not self.enabled or wanted == 0:
            return wanted, None
        granted = wanted
        # A cost either fits whole or is refused whole: ask for what remains (another
        # subscriber of the same token may take it in between, hence the loop).
        while granted > 0 and not await self.limiter.hit(item, *keys, cost=granted):
            _, remaining = await self.limiter.get_window_stats(item, *keys)
            granted = max(0, min(granted - 1, remaining))
        if granted == wanted:
            return granted, None
        reset, _ = await self.limiter.get_window_stats(item, *keys)
        return granted, max(1, math.ceil(reset - time.time()))

    async def admit_new_tenant(self) -> int | None:
        """Tenants are created from any valid token: bounded per process, whoever asks."""
        return await self.admit(self.new_tenants, "new-tenant")


class RateLimit:
    def __init__(self, app: ASGIApp, *, limiter: Limiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wait = await self._wait(scope)
        if wait is not None:
            await _refuse(send, scope["path"], wait)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except tenants.TenantLimitReached as reached:
            if started:
                raise
            await _refuse(send, scope["path"], reached.retry_after)

    async def _wait(self, scope: Scope) -> int | None:
        path: str = scope["path"]
        address = (scope.get("client") or ("unknown",))[0]
        limiter = self.limiter
        if path.startswith("/webhooks/"):
            return await limiter.admit(limiter.webhooks, "webhooks", address)
        if path.startswith("/payments/return/"):
            return await limiter.admit(limiter.return_page, "return", address)
        if path.startswith("/graphql"):
            wait = await limiter.admit(limiter.per_address, "graphql", address)
            header = dict(scope["headers"]).get(b"authorization")
            if wait is None and header:
                token = hashlib.sha256(header).hexdigest()  # counted by token, never stored
                wait = await limiter.admit(limiter.per_token, "token", token)
            return wait
        return None


async def _refuse(send: Send, path: str, wait: int) -> None:
    message = f"too many requests; retry in {wait} seconds"
    if path.startswith("/graphql"):
        body = json.dumps(
            {
                "data": None,
                "errors": [
                    {"message": message, "extensions": {"code": "RATE_LIMITED", "retryAfter": wait}}
                ],
            }
        ).encode()
        content_type = b"application/json"
    else:
        body, content_type = message.encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", content_type),
                (b"retry-after", str(wait).encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
