"""POST (or GET, for gateways that call back that way) /webhooks/{provider}."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from payable.db.engine import Database
from payable.payments import callbacks, precheck
from payable.providers.base import AsksBeforePaying, InvalidCallback
from payable.providers.registry import UnknownProvider

log = structlog.get_logger("payable.webhooks")
# The wallets (Idram, Telcell) want exactly "OK"; the banks read only the HTTP status.
_REPLIES = {200: "OK", 401: "signature does not verify", 503: "try again later"}
_PRECHECK_STATUS = {
    precheck.Answer.UNKNOWN_BILL: 404,
    precheck.Answer.NOT_OPEN: 409,
    precheck.Answer.AMOUNT_MISMATCH: 409,
}


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
    body = await request.body()
    if isinstance(provider, AsksBeforePaying):
        answered = await _precheck(request.app.state.db, provider, request, body)
        if answered is not None:
            return answered
    status = await callbacks.receive(
        db=request.app.state.db,
        provider=provider,
        headers=request.headers,
        query=request.query_params,
        body=body,
    )
    return PlainTextResponse(_REPLIES.get(status, "error"), status_code=status)


async def _precheck(
    db: Database, provider: AsksBeforePaying, request: Request, body: bytes
) -> Response | None:
    """``OK`` only for an open bill of exactly this amount; None when this is no precheck."""
    try:
        question = provider.read_precheck(query=request.query_params, body=body)
    except InvalidCallback as error:
        return PlainTextResponse(f"refused: {error}", status_code=400)
    if question is None:
        return None
    verdict = await precheck.answer(
        db=db, provider=request.path_params["provider"], question=question
    )
    if verdict is precheck.Answer.PAYABLE:
        return PlainTextResponse("OK")
    return PlainTextResponse(f"refused: {verdict.value}", status_code=_PRECHECK_STATUS[verdict])


routes = [Route("/webhooks/{provider}", receive, methods=["GET", "POST"])]
