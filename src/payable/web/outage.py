"""An outage anywhere in a request is answered as one: 503 with Retry-After, never a 500.

GraphQL answers ``SERVICE_UNAVAILABLE`` (retry a mutation with the same ``idempotencyKey``:
nothing was kept, or the first answer is kept and replayed); the gateway's callbacks and
the pages get a plain 503, so the gateway and the browser try again.
"""

from __future__ import annotations

import json

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payable.db.outage import RETRY_AFTER_SECONDS, is_outage

log = structlog.get_logger("payable.outage")
MESSAGE = (
    "the service is briefly unavailable; retry in a few seconds"
    " (a mutation with the same idempotencyKey)"
)


def graphql_error() -> dict[str, object]:
    return {
        "message": MESSAGE,
        "extensions": {"code": "SERVICE_UNAVAILABLE", "retryAfter": RETRY_AFTER_SECONDS},
    }


class OutageAsUnavailable:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            if started or not is_outage(error):
                raise
            log.warning("database unavailable", error_type=type(error).__name__)
            if scope["path"].startswith("/graphql"):
                body = json.dumps({"data": None, "errors": [graphql_error()]}).encode()
                content_type = b"application/json"
            else:
                body, content_type = b"temporarily unavailable; try again", b"text/plain"
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", content_type),
                        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
