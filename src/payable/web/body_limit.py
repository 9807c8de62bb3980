"""Refuse request bodies over a size limit (413) before, or while, they are read.

A declared ``Content-Length`` over the limit is answered at once; a body sent without one (or
longer than declared) is counted as it streams and cut off at the limit, so no route ever
holds more than the limit in memory. Webhooks have their own, smaller limit: a gateway's
callback is a few hundred bytes.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_webhook_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_webhook_bytes = max_webhook_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.max_webhook_bytes if path.startswith("/webhooks/") else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, path, limit)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:
                raise
            await _refuse(send, path, limit)


async def _refuse(send: Send, path: str, limit: int) -> None:
    message = f"the request body is larger than {limit} bytes"
    if path.startswith("/graphql"):
        body = json.dumps(
            {"errors": [{"message": message, "extensions": {"code": "REQUEST_TOO_LARGE"}}]}
        ).encode()
        content_type = b"application/json"
    else:
        body, content_type = message.encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
