"""One attempt over HTTP: a signed POST, no redirects, 10 seconds, a few KB of answer read."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from payable.core.errors import DomainError
from payable.webhooks import addresses, signing

READ_LIMIT = 4096  # of a response body: enough to show why it failed, never a flood
ERROR_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Request:
    delivery_id: str
    event_id: str
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None  # the receiver's HTTP status; None when there was no answer
    error: str | None  # why it does not count as delivered

    @property
    def delivered(self) -> bool:
        return self.error is None


def client(timeout: float) -> httpx.AsyncClient:
    """The HTTP client of a worker round: a redirect is an answer, never followed."""
    return httpx.AsyncClient(follow_redirects=False, timeout=timeout, trust_env=False)


async def send(
    http: httpx.AsyncClient, request: Request, *, timeout: float, production: bool
) -> Answer:
    try:
        await addresses.check(request.url, production=production)
    except DomainError as refused:
        return Answer(None, refused.message)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "payable-webhooks/1",
        "Payable-Signature": signing.signature(
            secret=request.secret, timestamp=timestamp, body=request.body
        ),
        "Payable-Event-Id": request.event_id,
        "Payable-Delivery-Id": request.delivery_id,
    }
    try:
        async with asyncio.timeout(timeout):  # the whole exchange, not each read
            async with http.stream("POST", request.url, content=request.body, headers=headers) as r:
                # A 2xx status is the answer; only a refusal's body is worth a look.
                head = b"" if 200 <= r.status_code < 300 else await _head(r)
    except TimeoutError:
        return Answer(None, f"no answer within {timeout:g} s")
    except httpx.HTTPError as failure:
        return Answer(None, f"{type(failure).__name__}: {failure}"[:ERROR_LIMIT])
    if 200 <= r.status_code < 300:
        return Answer(r.status_code, None)
    if 300 <= r.status_code < 400:
        return Answer(r.status_code, f"HTTP {r.status_code}: redirects are not followed")
    text = head.decode("utf-8", "replace").strip()
    return Answer(r.status_code, f"HTTP {r.status_code}: {text}"[:ERROR_LIMIT])


async def _head(response: httpx.Response) -> bytes:
    """At most READ_LIMIT bytes of the body; the rest is never read."""
    read = b""
    async for chunk in response.aiter_raw():
        read += chunk
        if len(read) >= READ_LIMIT:
            break
    return read[:READ_LIMIT]
