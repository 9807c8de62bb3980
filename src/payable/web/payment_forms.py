"""A wallet's payment page: ours, posting to the wallet the form built when the link was made.

Wallets have no order API: the browser itself must post the form to them. This page serves
the stored form (never rebuilt: the wallet signs the exact strings) and submits it on load,
with a button for browsers that run no scripts. A link no longer open shows no form.
"""

from __future__ import annotations

import html
import uuid

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from payable.core import clock
from payable.payments.enums import PaymentRequestStatus as Status
from payable.payments.models import PaymentRequest

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Payment</title></head>
<body onload="document.forms[0].submit()"><form method="post" action="{action}">{fields}
<noscript><button type="submit">Continue to payment</button></noscript></form></body></html>"""


def _message(text: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'><title>Payment</title></head>"
        f"<body><h1>{html.escape(text)}</h1></body></html>",
        status_code=status,
    )


async def page(request: Request) -> Response:
    try:
        request_id = uuid.UUID(request.path_params["request_id"])
    except ValueError:
        return _message("Unknown payment", 404)
    async with request.app.state.db.session() as session:
        found = await session.scalar(select(PaymentRequest).where(PaymentRequest.id == request_id))
    if found is None or found.payment_form is None:
        return _message("Unknown payment", 404)
    if found.status_at(clock.now()) is not Status.PENDING:
        return _message("This payment link is no longer open.", 410)
    form = found.payment_form
    fields = "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in form["fields"]
    )
    return HTMLResponse(_PAGE.format(action=html.escape(form["action"]), fields=fields))


routes = [Route("/payments/pay/{request_id}", page, methods=["GET"])]
