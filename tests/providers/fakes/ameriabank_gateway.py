"""A fake Ameriabank vPOS 3.0 gateway: JSON POST ``/VPOS/api/VPOS/<Op>``.

Payments live in memory. Tests move them through states (``approve``, ``decline``, ``hold``
…) and can make the next replies fail (``fail_next``, ``answer_next_with``) or slow
(``slow``). Like the real gateway it answers HTTP 200 even when it refuses, sends amounts as
JSON numbers and gives InitPayment's ResponseCode as an integer (1 = success).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

CLIENT_ID = "3f9c2a51-7d4e-4b8a-9e61-0c5d2b7a1f33"
USERNAME = "ameria-user-4Kd"
PASSWORD = "ameria-pass-Z9w-secret"
CURRENCIES = {"051", "840", "978", "643"}
STATE_NAMES = {
    0: "payment_started",
    1: "payment_approved",
    2: "payment_deposited",
    3: "payment_void",
    4: "payment_refunded",
    5: "payment_autoauthorized",
    6: "payment_declined",
}
ZERO = Decimal("0.00")


@dataclass
class FakePayment:
    payment_id: str
    order_id: int
    amount: Decimal
    currency: str
    opaque: str
    status: int = 0
    response_code: str = "0-100"  # the card transaction's code: no attempt yet
    approved: Decimal = ZERO
    deposited: Decimal = ZERO
    refunded: Decimal = ZERO
    reported_currency: str | None = None  # set to make the gateway report another currency


class FakeAmeria:
    def __init__(self, prefix: str = "/VPOS") -> None:
        self.payments: dict[str, FakePayment] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (operation, JSON body) as received
        self.delay = 0.0
        self._next: list[Response] = []
        route = Route(prefix + "/api/VPOS/{op}", self._endpoint, methods=["POST"])
        self.app = Starlette(routes=[route])

    # What a test tells the gateway to do.
    def approve(self, payment_id: str) -> None:
        payment = self.payments[payment_id]
        payment.status, payment.response_code = 2, "00"
        payment.approved = payment.deposited = payment.amount

    def hold(self, payment_id: str) -> None:
        payment = self.payments[payment_id]
        payment.status, payment.response_code, payment.approved = 1, "00", payment.amount

    def autoauthorize(self, payment_id: str) -> None:
        self.payments[payment_id].status = 5

    def decline(self, payment_id: str, response_code: str = "0116") -> None:
        payment = self.payments[payment_id]
        payment.status, payment.response_code = 6, response_code

    def fail_next(self, code: str | int, message: str = "") -> None:
        self._next.append(_json({"ResponseCode": code, "ResponseMessage": message}))

    def answer_next_with(self, text: str, status_code: int = 502) -> None:
        self._next.append(PlainTextResponse(text, status_code=status_code))

    def slow(self, seconds: float) -> None:
        self.delay = seconds

    def last(self, operation: str) -> dict[str, Any]:
        return next(body for name, body in reversed(self.calls) if name == operation)

    async def _endpoint(self, request: Request) -> Response:
        op = request.path_params["op"]
        body = json.loads(await request.body(), parse_float=Decimal)
        self.calls.append((op, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._next:
            return self._next.pop(0)
        credentials_ok = body.get("Username") == USERNAME and body.get("Password") == PASSWORD
        if op == "InitPayment":
            credentials_ok = credentials_ok and body.get("ClientID") == CLIENT_ID
        if not credentials_ok:
            # Echoes the user name, as some gateways do: adapters must not pass it on.
            message = f"Incorrect Username and Password ({body.get('Username')})"
            return _json(
                {"ResponseCode": 20 if op == "InitPayment" else "20", "ResponseMessage": message}
            )
        handler = {
            "InitPayment": self._init,
            "GetPaymentDetails": self._details,
            "RefundPayment": self._refund,
            "CancelPayment": self._cancel,
        }.get(op)
        return _json(handler(body) if handler else {"ResponseCode": "510"})

    def _init(self, body: dict[str, Any]) -> dict[str, Any]:
        order_id, timeout = body.get("OrderID"), body.get("Timeout", 1200)
        amount = _amount(body.get("Amount"))
        if not isinstance(order_id, int) or isinstance(order_id, bool) or order_id <= 0:
            return {"PaymentID": None, "ResponseCode": 5, "ResponseMessage": "Incorrect OrderID"}
        if amount is None or not isinstance(timeout, int) or not 1 <= timeout <= 1200:
            return {"PaymentID": None, "ResponseCode": 5, "ResponseMessage": "Incorrect Parameters"}
        if body.get("Currency", "051") not in CURRENCIES:
            return {"PaymentID": None, "ResponseCode": 3, "ResponseMessage": "Incorrect Currency"}
        for payment in self.payments.values():
            if payment.order_id == order_id:  # same ClientID + OrderID: the same PaymentID
                return {"PaymentID": payment.payment_id, "ResponseCode": 1, "ResponseMessage": "OK"}
        payment_id = str(uuid.uuid4())
        self.payments[payment_id] = FakePayment(
            payment_id, order_id, amount, body.get("Currency", "051"), body.get("Opaque", "")
        )
        return {"PaymentID": payment_id, "ResponseCode": 1, "ResponseMessage": "OK"}

    def _details(self, body: dict[str, Any]) -> dict[str, Any]:
        payment = self.payments.get(body.get("PaymentID", ""))
        if payment is None:
            return {"ResponseCode": "06", "ResponseMessage": "Unregistered OrderId"}
        return {
            "ResponseCode": payment.response_code,
            "ResponseMessage": "",
            "Amount": payment.amount,
            "ApprovedAmount": payment.approved,
            "DepositedAmount": payment.deposited,
            "RefundedAmount": payment.refunded,
            "Currency": payment.reported_currency or payment.currency,
            "OrderID": payment.order_id,
            "OrderStatus": str(payment.status),
            "PaymentState": STATE_NAMES[payment.status],
            "CardNumber": "408306******1818" if payment.status else None,
            "DateTime": "01/03/2025 10:15:00",
            "ActionCode": payment.response_code,
            "Opaque": payment.opaque,
        }

    def _refund(self, body: dict[str, Any]) -> dict[str, Any]:
        payment = self.payments.get(body.get("PaymentID", ""))
        amount = _amount(body.get("Amount"))
        if payment is None:
            return {"ResponseCode": "06", "ResponseMessage": "Unregistered OrderId"}
        if amount is None:
            return {"ResponseCode": "05", "ResponseMessage": "Incorrect Parameters"}
        if payment.status not in (2, 4) or payment.refunded + amount > payment.deposited:
            return {"ResponseCode": "07", "ResponseMessage": "Amount exceeds deposited amount"}
        payment.refunded += amount
        payment.status = 4
        return {"ResponseCode": "00", "ResponseMessage": "OK", "Opaque": payment.opaque}

    def _cancel(self, body: dict[str, Any]) -> dict[str, Any]:
        payment = self.payments.get(body.get("PaymentID", ""))
        if payment is None:
            return {"ResponseCode": "06", "ResponseMessage": "Unregistered OrderId"}
        if payment.status not in (1, 2, 5) or payment.refunded:
            return {"ResponseCode": "07", "ResponseMessage": "Reversal is impossible"}
        payment.status, payment.deposited = 3, ZERO
        return {"ResponseCode": "00", "ResponseMessage": "OK", "Opaque": payment.opaque}


def _amount(value: object) -> Decimal | None:
    """A positive decimal with at most two places (string or JSON number), else None."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    ok = amount.is_finite() and amount > 0 and amount == amount.quantize(ZERO)
    return amount.quantize(ZERO) if ok else None


def _json(payload: dict[str, Any]) -> Response:
    """JSON with Decimals written as bare numbers ("Amount": 1500.50), as the bank sends them."""
    text = json.dumps(payload, default=lambda d: f"\x00{d}\x00")
    text = re.sub(r'"\\u0000([-0-9.]+)\\u0000"', r"\1", text)
    return Response(text, media_type="application/json")
