"""Where the customer's browser lands after the gateway: it shows, it never decides.

The return itself proves nothing (anyone can open the URL); it only prompts a server-side
status lookup, whose answer is what the page shows.
"""

from __future__ import annotations

import html
import uuid

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from payable.payments import lookup
from payable.payments.enums import PaymentRequestStatus as Status
from payable.payments.models import PaymentRequest

_MESSAGES = {
    Status.PAID.value: "Payment confirmed. Thank you!",
    Status.FAILED.value: "The payment did not go through. You can try again from your booking.",
    Status.EXPIRED.value: "This payment link has expired.",
    Status.CANCELLED.value: "This payment link was cancelled.",
}
_CONFIRMING = "Your payment is being confirmed. This page does not need to stay open."


async def landed(request: Request) -> Response:
    try:
        request_id = uuid.UUID(request.path_params["request_id"])
    except ValueError:
        return HTMLResponse("<h1>Unknown payment</h1>", status_code=404)
    db = request.app.state.db
    async with db.session() as session:
        found = await session.scalar(select(PaymentRequest).where(PaymentRequest.id == request_id))
    if found is None:
        return HTMLResponse("<h1>Unknown payment</h1>", status_code=404)
    await lookup.check(
        db=db, provider=request.app.state.providers.by_name(found.provider), request_id=request_id
    )
    async with db.session() as session:
        status = await session.scalar(
            select(PaymentRequest.status).where(PaymentRequest.id == request_id)
        )
    back = (
        f'<p><a href="{html.escape(found.return_url)}">Back to your booking</a></p>'
        if found.return_url
        else ""
    )
    message = _MESSAGES.get(status, _CONFIRMING)
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>Payment</title></head>"
        f"<body><h1>{html.escape(message)}</h1>{back}</body></html>"
    )


routes = [Route("/payments/return/{request_id}", landed, methods=["GET"])]
