"""The sandbox's hosted payment page: Approve, Decline, or Approve after 3-D Secure."""

from __future__ import annotations

import html
import uuid
from decimal import Decimal

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from payable.core import clock
from payable.providers.base import OrderState
from payable.sandbox.callbacks import notify
from payable.sandbox.gateway import SandboxState, payment_reference
from payable.sandbox.models import SandboxOrder
from payable.sandbox.operations import SandboxOperation

_OPEN = (SandboxState.CREATED.value, SandboxState.CHALLENGE.value)

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Sandbox payment</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto}}button{{margin:.3rem}}</style>
</head><body><h1>Sandbox payment</h1><p>{description}</p><p><strong>{amount} {currency}</strong></p>
{body}<p><small>Sandbox gateway: no real money moves.</small></p></body></html>"""


def _button(outcome: str, label: str) -> str:
    return f'<button name="outcome" value="{outcome}">{label}</button>'


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


async def show(request: Request) -> Response:
    order = await _order(request)
    if order is None:
        return HTMLResponse("<h1>Unknown order</h1>", status_code=404)
    if order.state not in _OPEN:
        return _render(order, f"<p>This order is {order.state.lower()}.</p>")
    if order.state == SandboxState.CHALLENGE.value:
        return _render(
            order,
            '<form method="post"><p>3-D Secure check</p>'
            + _button("approve", "Complete 3-D Secure")
            + "</form>",
        )
    buttons = (
        _button("approve", "Approve")
        + _button("decline", "Decline")
        + _button("approve_3ds", "Approve after 3-D Secure")
    )
    return _render(order, f'<form method="post">{buttons}</form>')


async def submit(request: Request) -> Response:
    """Complete the order as the customer chose, tell the app, send the browser back."""
    outcome = (await request.form()).get("outcome")
    if outcome not in ("approve", "decline", "approve_3ds"):
        return HTMLResponse(
            "<h1>outcome must be approve, decline or approve_3ds</h1>", status_code=400
        )
    db = request.app.state.providers.sandbox.db
    async with db.session() as session, session.begin():
        order = await session.scalar(
            select(SandboxOrder).where(SandboxOrder.id == _order_id(request)).with_for_update()
        )
        if order is None:
            return HTMLResponse("<h1>Unknown order</h1>", status_code=404)
        if order.state not in _OPEN:
            return _render(order, f"<p>This order is {order.state.lower()}.</p>", status_code=409)
        if outcome == "approve_3ds":
            order.state = SandboxState.CHALLENGE.value
        elif outcome == "approve":
            order.state, order.captured = SandboxState.PAID.value, Decimal(order.amount)
            order.captured_at = clock.now()
            session.add(
                SandboxOperation(
                    order_id=order.id,
                    operation="PAYMENT",
                    reference=payment_reference(order.id),
                    currency=order.currency,
                    amount=order.amount,
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
