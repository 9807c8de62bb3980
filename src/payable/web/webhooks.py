"""POST (or GET, for gateways that call back that way) /webhooks/{provider}."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from payable.payments import callbacks
from payable.providers.registry import UnknownProvider

log = structlog.get_logger("payable.webhooks")
_REPLIES = {200: "ok", 401: "signature does not verify", 503: "try again later"}


async def receive(request: Request) -> Response:
    """The body is read only for a known provider that signs (and within the size limit)."""
    name = request.path_params["provider"]
    if name == "sandbox" and not request.app.state.settings.sandbox_enabled:
        # In production nothing signed with a sandbox secret may count as a bank's word.
        return PlainTextResponse("unknown provider", status_code=404)
    try:
        provider = request.app.state.providers.by_name(name)
    except UnknownProvider:  # counted in the log, its body never read
        log.warning(
            "callback for an unknown or unconfigured provider",
            declared_bytes=request.headers.get("content-length"),
        )
        return PlainTextResponse("unknown provider", status_code=404)
    if not provider.signs_callbacks:  # its browser returns go to /payments/return instead
        return PlainTextResponse("this provider sends no callbacks", status_code=404)
    status = await callbacks.receive(
        db=request.app.state.db,
        provider=provider,
        headers=request.headers,
        query=request.query_params,
        body=await request.body(),
    )
    return PlainTextResponse(_REPLIES.get(status, "error"), status_code=status)


routes = [Route("/webhooks/{provider}", receive, methods=["GET", "POST"])]
