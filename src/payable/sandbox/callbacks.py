"""How the sandbox tells the app that an order changed: a signed POST to /webhooks/sandbox.

Settings can delay, duplicate or drop it, so the late, repeated and lost callback paths run
in development and tests exactly as they would against a real gateway.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import structlog
from starlette.types import ASGIApp

from payable.providers.base import OrderState
from payable.sandbox import signing
from payable.settings import Settings

log = structlog.get_logger("payable.sandbox")
_pending: set[asyncio.Task[None]] = set()  # keeps delayed deliveries alive until they ran


def callback_body(order_id: str, state: OrderState) -> bytes:
    return json.dumps(
        {"event_id": str(uuid.uuid4()), "order_id": order_id, "state": state.value}
    ).encode()


async def post(app: ASGIApp, secret: str, body: bytes) -> int:
    """Deliver through the app's own HTTP stack, as the gateway's request would arrive."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.callback") as http:
        response = await http.post(
            "/webhooks/sandbox", content=body, headers=signing.signed_headers(secret, body)
        )
    return response.status_code


async def notify(app: ASGIApp, settings: Settings, order_id: str, state: OrderState) -> None:
    if settings.sandbox_callback == "drop":
        log.info("sandbox callback dropped", order_id=order_id)
        return
    body = callback_body(order_id, state)
    copies = 2 if settings.sandbox_callback == "duplicate" else 1
    secret = settings.sandbox_secrets[0]

    async def deliver() -> None:
        await asyncio.sleep(settings.sandbox_callback_delay_seconds)
        for _ in range(copies):
            status = await post(app, secret, body)
            log.info("sandbox callback delivered", order_id=order_id, http_status=status)

    if settings.sandbox_callback_delay_seconds <= 0:
        await deliver()
        return
    task = asyncio.create_task(deliver())
    _pending.add(task)
    task.add_done_callback(_pending.discard)
