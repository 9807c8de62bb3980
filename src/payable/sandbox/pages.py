"""The sandbox's hosted payment page: Approve, Decline, or Approve after 3-D Secure.

Like test card numbers, optional form fields let a tester reproduce what banks do: ``amount``
(the bank captures that amount instead of the order's) and ``late=1`` (the bank accepts the
payment although the order expired). Without ``late`` an expired order refuses payment, as a
real bank page would.
"""

from __future__ import annotations

import html
import uuid
from decimal import Decimal

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from payable.core import clock
from payable.core.errors import DomainError
from payable.core.money import parse_amount
from payable.providers.base import OrderState
from payable.sandbox.callbacks import notify
from payable.sandbox.gateway import SandboxState, payment_reference
from payable.sandbox.models import SandboxOrder
from payable.sandbox.operations import SandboxOperation

_OPEN = (SandboxState.CREATED.value, SandboxState.CHALLENGE.value)

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Sandbox payment</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto}}button{{margin:.3rem}}
.test{{background:#fff3cd;padding:.5rem}}</style></head><body>
<p class="test"><strong>TEST PAYMENT</strong>: sandbox gateway, no real money moves.</p>
<h1>Sandbox payment</h1><p>{description}</p><p><strong>{amount} {currency}</strong></p>
{body}</body></html>"""

_TESTER_FIELDS = """<details><summary>Tester options</summary>
<p><label>Bank captures <input name="amount" inputmode="decimal" placeholder="{amount}"></label></p>
<p><label><input type="checkbox" name="late" value="1"> Accept although the link expired</label></p>
</details>"""


def _button(outcome: str, label: str) -> str:
    return f'<button name="outcome" value="{outcome}">{label}</button>'


def _expired(order: SandboxOrder) -> bool:
    return order.expires_at <= clock.now()


async def _order(request: Request) -> SandboxOrder | None:
    async with request.app.state.providers.sandbox.db.session() as session:
        return await session.scalar(
            select(SandboxOrder).where(SandboxOrder.id == _order_id(request))
        )


def _render(order: SandboxOrder, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(
            description=html.escape(order.description),
            amount=f"{order.amount:.2f}",
            currency=order.currency,
            body=body,
        ),
        status_code=status_code,
    )


def _expiry_notice(order: SandboxOrder) -> str:
    at = order.expires_at.astimezone(clock.BUSINESS_ZONE).strftime("%Y-%m-%d %H:%M")
    return f"<p>This payment page expired at {at} (Yerevan): a bank refuses payment now.</p>"


async def show(request: Request) -> Response:
    order = await _order(request)
    if order is None:
        return HTMLResponse("<h1>Unknown order</h1>", status_code=404)
    if order.state not in _OPEN:
        return _render(order, f"<p>This order is {order.state.lower()}.</p>")
    notice = _expiry_notice(order) if _expired(order) else ""
    fields = _TESTER_FIELDS.format(amount=f"{order.amount:.2f}")
    if order.state == SandboxState.CHALLENGE.value:
        buttons = "<p>3-D Secure check</p>" + _button("approve", "Complete 3-D Secure")
    else:
        buttons = (
            _button("approve", "Approve")
            + _button("decline", "Decline")
            + _button("approve_3ds", "Approve after 3-D Secure")
        )
    return _render(order, f'{notice}<form method="post">{buttons}{fields}</form>')


def _captured_amount(form: FormData) -> Decimal | None:
    """The tester's ``amount``: what the bank captures instead of the order's amount."""
    raw = form.get("amount")
    if not isinstance(raw, str) or not raw.strip():
        return None
    return parse_amount(raw.strip(), field="amount")


async def submit(request: Request) -> Response:
    """Complete the order as the customer chose, tell the app, send the browser back."""
    form = await request.form()
    outcome = form.get("outcome")
    if outcome not in ("approve", "decline", "approve_3ds"):
        return HTMLResponse(
            "<h1>outcome must be approve, decline or approve_3ds</h1>", status_code=400
        )
    try:
        amount = _captured_amount(form)
    except DomainError as error:
        return HTMLResponse(f"<h1>amount: {html.escape(error.message)}</h1>", status_code=400)
    late = form.get("late") == "1"
    db = request.app.state.providers.sandbox.db
    async with db.session() as session, session.begin():
        order = await session.scalar(
            select(SandboxOrder).where(SandboxOrder.id == _order_id(request)).with_for_update()
        )
        if order is None:
            return HTMLResponse("<h1>Unknown order</h1>", status_code=404)
        if order.state not in _OPEN:
            return _render(order, f"<p>This order is {order.state.lower()}.</p>", status_code=409)
        if _expired(order) and not late:
            return _render(order, _expiry_notice(order), status_code=410)
        if outcome == "approve_3ds":
            order.state = SandboxState.CHALLENGE.value
        elif outcome == "approve":
            captured = amount if amount is not None else Decimal(order.amount)
            order.state, order.captured = SandboxState.PAID.value, captured
            order.captured_at = clock.now()
            session.add(
                SandboxOperation(
                    order_id=order.id,
                    operation="PAYMENT",
                    reference=payment_reference(order.id),
                    currency=order.currency,
                    amount=captured,
                )
            )
        else:
            order.state = SandboxState.DECLINED.value
        state, return_url = order.state, order.return_url
    if state == SandboxState.CHALLENGE.value:
        return RedirectResponse(str(request.url), status_code=303)
    reported = OrderState.PAID if state == SandboxState.PAID.value else OrderState.DECLINED
    await notify(request.app, request.app.state.settings, str(order.id), reported)
    return RedirectResponse(return_url, status_code=303)


def _order_id(request: Request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.path_params["order_id"])
    except ValueError:
        return None


routes = [
    Route("/sandbox/pay/{order_id}", show, methods=["GET"]),
    Route("/sandbox/pay/{order_id}", submit, methods=["POST"]),
]
