"""Ameriabank vPOS 3.0, one-stage payments.

Protocol facts: /work/shared/providers.md. Every call is a JSON POST to ``{base}api/VPOS/<Op>``
with the merchant's Username/Password; the HTTP status is 200 even on failure, so only
``ResponseCode`` counts (InitPayment succeeds with 1, everything else with "00").

Decisions worth knowing:
- ``OrderID`` must be an integer, ours is a uuid: see ``ameria_order_id``.
- States: 2 (deposited) is PAID. 1 (approved: amount held, two-stage) and 5 (autoauthorized:
  authenticated through the issuer's ACS) are PENDING: no money has moved for a one-stage
  merchant until the gateway says deposited.
- The gateway signs nothing. ``verify_callback`` only reads the browser's return query and
  claims no state: confirmation is always ``order_status`` (GetPaymentDetails).
- GetPaymentDetails of a payment that is not (yet) paid may answer with the card transaction's
  own code (e.g. "0-100" no attempt yet, "0116" not enough money) instead of "00". API-level
  codes (bad credentials, unknown payment, system errors …) are errors; any other code with a
  readable OrderStatus is a status, the code kept in ``detail``.
- No refund id exists: ``provider_refund_reference`` is ``"<PaymentID>:refund:<amount>"``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from payable.core import clock
from payable.core.money import Money
from payable.providers import http
from payable.providers.base import (
    CallbackEvent,
    CreatedOrder,
    InvalidCallback,
    OrderRequest,
    OrderState,
    OrderStatus,
    ProviderError,
    ProviderUnavailable,
    RefundResult,
)
from payable.providers.currencies import (
    UnsupportedCurrency,
    currency_for_numeric,
    from_major,
    numeric_code,
    to_major_string,
)

log = structlog.get_logger(__name__)

MAX_TIMEOUT_SECONDS = 1200
_SYSTEM_ERRORS = frozenset({"550", "500", "0-1"})  # system error, unknown error, no answer
# Codes of the API itself (Ameriabank's table 1), as opposed to card-transaction results.
_API_ERRORS = frozenset(
    {"01", "03", "04", "05", "06", "07", "20", "30", "50", "510", "513", "514", "520", "560"}
)
_CREDENTIALS = "20"
_STATES: dict[int, OrderState] = {
    0: OrderState.PENDING,  # payment_started
    1: OrderState.PENDING,  # payment_approved: held, not deposited
    2: OrderState.PAID,  # payment_deposited
    3: OrderState.REVERSED,  # payment_void
    4: OrderState.REFUNDED,  # payment_refunded, partial included
    5: OrderState.PENDING,  # payment_autoauthorized: authenticated, not deposited
    6: OrderState.DECLINED,  # payment_declined
}
_STATE_NAMES = {
    "payment_started": 0,
    "payment_approved": 1,
    "payment_deposited": 2,
    "payment_void": 3,
    "payment_refunded": 4,
    "payment_autoauthorized": 5,
    "payment_declined": 6,
}


@dataclass(frozen=True, slots=True)
class AmeriaConfig:
    """Merchant vPOS account. Secrets stay out of repr (and so out of logs and tracebacks)."""

    base_url: str  # e.g. https://servicestest.ameriabank.am/VPOS/
    client_id: str = field(repr=False)
    username: str = field(repr=False)
    password: str = field(repr=False)
    timeout_seconds: float = 10.0
    language: str = "en"  # am, ru, en (payment page)


def ameria_order_id(order_number: str) -> int:
    """The integer OrderID vPOS requires, stable for an order number.

    For a uuid (our payment request ids) it is the int of its first 15 hex digits, so support
    can find the request from the id shown in the bank's portal (``hex(id)`` is the uuid's
    prefix); anything else uses the first 15 hex digits of its SHA-256. 15 hex digits fit a
    signed 64-bit integer. Collisions are possible in principle (56 random bits for uuid4), and
    vPOS answers a repeated OrderID with the earlier PaymentID, so ``Opaque`` carries the full
    order number.
    """
    try:
        digits = uuid.UUID(order_number).hex
    except ValueError:
        digits = hashlib.sha256(order_number.encode()).hexdigest()
    return int(digits[:15], 16) or 1


class AmeriabankProvider:
    name = "ameriabank"
    supports_status_lookup = True
    signs_callbacks = False
    max_session = timedelta(seconds=MAX_TIMEOUT_SECONDS)  # the payment page closes after it

    def __init__(
        self,
        config: AmeriaConfig,
        client: httpx.AsyncClient | None = None,
        *,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self._config = config
        self._base = config.base_url.rstrip("/") + "/"
        self._client = client  # None: a short-lived client per call
        self._now = now

    def __repr__(self) -> str:
        return f"AmeriabankProvider(base_url={self._config.base_url!r})"

    async def create_order(self, order: OrderRequest) -> CreatedOrder:
        seconds = int((order.expires_at - self._now()).total_seconds())
        reply = await self._call(
            "InitPayment",
            {
                "ClientID": self._config.client_id,
                "OrderID": ameria_order_id(order.order_number),
                "Amount": to_major_string(order.amount),
                "Currency": numeric_code(order.amount.currency),
                "BackURL": order.return_url,
                "Description": order.description,
                "Opaque": order.order_number,
                "Timeout": min(max(seconds, 1), MAX_TIMEOUT_SECONDS),
            },
            ok=("1",),
        )
        payment_id = reply.get("PaymentID")
        if not isinstance(payment_id, str) or not payment_id:
            raise ProviderUnavailable("Ameriabank InitPayment: reply lacks PaymentID")
        lang = quote(self._config.language)
        url = f"{self._base}Payments/Pay?id={quote(payment_id)}&lang={lang}"
        return CreatedOrder(payment_id, url)

    async def order_status(self, provider_order_id: str) -> OrderStatus:
        reply = await self._call("GetPaymentDetails", {"PaymentID": provider_order_id}, ok=None)
        try:
            return _order_status(provider_order_id, reply)
        except UnsupportedCurrency as exc:
            raise ProviderError("UNSUPPORTED_CURRENCY", f"Ameriabank status: {exc}") from None
        except (ValueError, TypeError) as exc:
            raise ProviderUnavailable(f"Ameriabank status: unreadable reply: {exc}") from None

    async def refund(
        self, provider_order_id: str, amount: Money, *, reference: str | None = None
    ) -> RefundResult:
        # RefundPayment takes no reference of ours: an interrupted refund is settled by the
        # payment's RefundedAmount (one refund per payment in flight at a time).
        major = to_major_string(amount)
        await self._call("RefundPayment", {"PaymentID": provider_order_id, "Amount": major})
        return RefundResult(f"{provider_order_id}:refund:{reference or major}")

    async def reverse(self, provider_order_id: str) -> None:
        await self._call("CancelPayment", {"PaymentID": provider_order_id})

    def verify_callback(
        self, *, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> CallbackEvent:
        """Read the browser's return (unsigned, so it claims nothing): order_status decides."""
        payment_id = query.get("paymentID", "")
        try:
            uuid.UUID(payment_id)
        except ValueError:
            raise InvalidCallback("Ameriabank return without a valid paymentID") from None
        code = query.get("resposneCode", query.get("responseCode", ""))  # sic: the bank's spelling
        return CallbackEvent(f"{payment_id}:return:{code}", payment_id, None)

    async def _call(
        self, op: str, params: dict[str, Any], *, ok: tuple[str, ...] | None = ("00",)
    ) -> dict[str, Any]:
        """POST one operation; the reply when its ResponseCode is in ``ok``, else raise.
        ``ok=None``: any code but an API error (GetPaymentDetails, see the module docstring)."""
        body = {"Username": self._config.username, "Password": self._config.password, **params}
        label = f"Ameriabank {op}"
        response = await http.post(
            self._client,
            f"{self._base}api/VPOS/{op}",
            seconds=self._config.timeout_seconds,
            label=label,
            json=body,
        )
        reply = http.json_object(response, label)
        if reply.get("ResponseCode") is None:
            raise ProviderUnavailable(f"Ameriabank {op}: reply without ResponseCode")
        code = str(reply["ResponseCode"]).strip()  # InitPayment: int 1; "01" is NOT success
        api_error = code in _SYSTEM_ERRORS or code in _API_ERRORS or code == _CREDENTIALS
        if (ok is None and not api_error) or (ok is not None and code in ok):
            return reply
        config = self._config
        message = http.redact(
            str(reply.get("ResponseMessage", "")),
            config.password,
            config.username,
            config.client_id,
        )
        log.warning("provider.refused", provider=self.name, operation=op, code=code)
        # "07" is a system error, except where the protocol gives it a meaning of its own.
        if code in _SYSTEM_ERRORS or (code == "07" and op in ("InitPayment", "GetPaymentDetails")):
            raise ProviderUnavailable(f"Ameriabank {op}: system error {code}: {message}")
        raise ProviderError(code, f"Ameriabank {op} refused: ResponseCode {code}: {message}")


def _order_status(payment_id: str, reply: dict[str, Any]) -> OrderStatus:
    status = _status_code(reply.get("OrderStatus"))
    if status is None:
        status = _status_code(reply.get("PaymentState"))
    if status not in _STATES:
        raise ValueError(f"unknown OrderStatus {reply.get('OrderStatus')!r}")
    state = _STATES[status]
    currency = currency_for_numeric(reply.get("Currency"))  # what the gateway says, not ours
    amount = from_major(reply.get("Amount"), currency)
    if state is OrderState.PAID and reply.get("DepositedAmount") is not None:
        amount = from_major(reply["DepositedAmount"], currency)
    refunded = None
    if reply.get("RefundedAmount") is not None:
        refunded = from_major(reply["RefundedAmount"], currency)
        refunded = refunded if refunded.amount > 0 else None
    detail = f"OrderStatus {status}, ResponseCode {reply.get('ResponseCode')}"
    return OrderStatus(payment_id, state, amount, payment_id, refunded=refunded, detail=detail)


def _status_code(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isdigit() else _STATE_NAMES.get(text.lower())
    return None
