"""A fake ArCa iPay (BPC RBS) gateway: form POST ``/payment/rest/<name>.do``, JSON replies.

Orders live in memory. Tests move them through states (``approve``, ``decline``, ``start_3ds``
…) and can make the next replies fail (``fail_next``, ``answer_next_with``) or slow
(``slow``). Like the real gateway it answers HTTP 200 even when it refuses.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

USERNAME = "arca-api-user-7Qx"
PASSWORD = "arca-pass-S3cr3t-91"
CALLBACK_KEY = "arca-callback-key-5d1e"
CURRENCIES = {"051", "840", "978", "643"}
PAYMENT_STATES = {
    0: "CREATED",
    1: "APPROVED",
    2: "DEPOSITED",
    3: "REVERSED",
    4: "REFUNDED",
    5: "CREATED",
    6: "DECLINED",
}


@dataclass
class FakeOrder:
    order_id: str
    order_number: str
    amount: int  # minor units
    currency: str
    status: int = 0
    action_code: int = -100
    approval_code: str | None = None
    approved: int = 0
    deposited: int = 0
    refunded: int = 0
    reported_currency: str | None = None  # set to make the gateway report another currency


class FakeArca:
    def __init__(self, username: str = USERNAME, password: str = PASSWORD) -> None:
        self.username = username
        self.password = password
        self.orders: dict[str, FakeOrder] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []  # (operation, form) as received
        self.delay = 0.0
        self._next: list[Response] = []
        route = Route("/payment/rest/{name}.do", self._endpoint, methods=["POST"])
        self.app = Starlette(routes=[route])

    # What a test tells the gateway to do.
    def approve(self, order_id: str, approval_code: str = "123456") -> None:
        order = self.orders[order_id]
        order.status, order.action_code, order.approval_code = 2, 0, approval_code
        order.approved = order.deposited = order.amount

    def preauthorize(self, order_id: str) -> None:
        order = self.orders[order_id]
        order.status, order.action_code, order.approval_code = 1, 0, "654321"
        order.approved = order.amount

    def decline(self, order_id: str, action_code: int = 116) -> None:
        order = self.orders[order_id]
        order.status, order.action_code = 6, action_code

    def start_3ds(self, order_id: str) -> None:
        self.orders[order_id].status = 5

    def fail_next(self, code: str, message: str = "") -> None:
        self._next.append(JSONResponse({"errorCode": code, "errorMessage": message}))

    def answer_next_with(self, text: str, status_code: int = 502) -> None:
        self._next.append(PlainTextResponse(text, status_code=status_code))

    def slow(self, seconds: float) -> None:
        self.delay = seconds

    def last(self, operation: str) -> dict[str, str]:
        return next(form for name, form in reversed(self.calls) if name == operation)

    async def _endpoint(self, request: Request) -> Response:
        name = request.path_params["name"]
        form = {key: str(value) for key, value in (await request.form()).items()}
        self.calls.append((name, form))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._next:
            return self._next.pop(0)
        if form.get("userName") != self.username or form.get("password") != self.password:
            # Real gateways are known to echo the user name: adapters must not pass it on.
            return _error("5", f"Access denied for user {form.get('userName')}")
        handler = {
            "register": self._register,
            "getOrderStatusExtended": self._status,
            "refund": self._refund,
            "reverse": self._reverse,
        }.get(name)
        return JSONResponse(handler(form) if handler else {"errorCode": "4", "errorMessage": name})

    def _register(self, form: dict[str, str]) -> dict[str, Any]:
        for required in ("orderNumber", "amount", "returnUrl"):
            if not form.get(required):
                return {"errorCode": "4", "errorMessage": f"{required} is empty"}
        timeout = form.get("sessionTimeoutSecs", "1200")
        if len(form["orderNumber"]) > 36 or not form["amount"].isdigit():
            return {"errorCode": "5", "errorMessage": "Invalid orderNumber or amount"}
        if not (timeout.isdigit() and 1 <= int(timeout) <= 1200):
            return {"errorCode": "5", "errorMessage": "Invalid sessionTimeoutSecs"}
        if form.get("currency", "051") not in CURRENCIES:
            return {"errorCode": "3", "errorMessage": "Unknown currency"}
        if any(o.order_number == form["orderNumber"] for o in self.orders.values()):
            return {"errorCode": "1", "errorMessage": "Order number is already used"}
        order_id = str(uuid.uuid4())
        self.orders[order_id] = FakeOrder(
            order_id, form["orderNumber"], int(form["amount"]), form.get("currency", "051")
        )
        return {"orderId": order_id, "formUrl": f"https://ipay.fake/pay?mdOrder={order_id}"}

    def _status(self, form: dict[str, str]) -> dict[str, Any]:
        order = self._find(form)
        if order is None:
            return {"errorCode": "6", "errorMessage": "Order not found"}
        declined = order.status == 6
        reply: dict[str, Any] = {
            "errorCode": "2" if declined else "0",
            "errorMessage": "Payment is declined" if declined else "Success",
            "orderNumber": order.order_number,
            "orderStatus": order.status,
            "actionCode": order.action_code,
            "amount": order.amount,
            "currency": order.reported_currency or order.currency,
            "date": int(time.time() * 1000),
            "paymentAmountInfo": {
                "paymentState": PAYMENT_STATES[order.status],
                "approvedAmount": order.approved,
                "depositedAmount": order.deposited,
                "refundedAmount": order.refunded,
            },
        }
        if order.approval_code:
            reply["cardAuthInfo"] = {
                "maskedPan": "408306**1818",
                "approvalCode": order.approval_code,
            }
        return reply

    def _refund(self, form: dict[str, str]) -> dict[str, Any]:
        order = self._find(form)
        if order is None:
            return {"errorCode": "6", "errorMessage": "Order not found"}
        amount = form.get("amount", "")
        if not amount.isdigit() or int(amount) == 0:
            return {"errorCode": "5", "errorMessage": "Wrong amount"}
        if order.status not in (2, 4):
            return {"errorCode": "7", "errorMessage": "Payment must be in a correct state"}
        if order.refunded + int(amount) > order.deposited:
            return {"errorCode": "7", "errorMessage": "Refund amount exceeds deposited amount"}
        order.refunded += int(amount)
        order.status = 4
        return {"errorCode": "0", "errorMessage": "Success"}

    def _reverse(self, form: dict[str, str]) -> dict[str, Any]:
        order = self._find(form)
        if order is None:
            return {"errorCode": "6", "errorMessage": "Order not found"}
        if order.status not in (1, 2) or order.refunded:
            return {"errorCode": "7", "errorMessage": "Reversal is impossible in this state"}
        order.status, order.deposited = 3, 0
        return {"errorCode": "0", "errorMessage": "Success"}

    def _find(self, form: dict[str, str]) -> FakeOrder | None:
        if "orderId" in form:
            return self.orders.get(form["orderId"])
        number = form.get("orderNumber")
        return next((o for o in self.orders.values() if o.order_number == number), None)


def _error(code: str, message: str) -> JSONResponse:
    return JSONResponse({"errorCode": code, "errorMessage": message})


def sign_callback(params: Mapping[str, str], key: str = CALLBACK_KEY) -> dict[str, str]:
    """``params`` plus the checksum the bank sends: HMAC-SHA256 (upper-case hex) over the params
    but checksum/sign_alias, sorted by name, each as ``name;value;``."""
    signed = sorted((k, v) for k, v in params.items() if k not in ("checksum", "sign_alias"))
    message = "".join(f"{name};{value};" for name, value in signed).encode()
    checksum = hmac.new(key.encode(), message, hashlib.sha256).hexdigest().upper()
    return {**params, "checksum": checksum}
