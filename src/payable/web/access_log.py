"""One JSON line per HTTP request: route, operation, status, duration, cost and error codes.

Only what the server decided is logged: the route's template (not the path a caller typed),
a GraphQL operation name only when it is a plain name, codes and numbers; never variables,
headers or bodies.
"""

from __future__ import annotations

import re
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("payable.access")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app fails before starting a response
        state = scope.setdefault("state", {})

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            route = scope.get("route")
            operation = state.get("operation")
            log.info(
                "request",
                method=scope["method"],
                route=getattr(route, "path", None) or "unmatched",
                operation=operation
                if isinstance(operation, str) and _NAME.fullmatch(operation)
                else None,
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                cost=state.get("cost"),
                codes=state.get("codes") or None,
            )
