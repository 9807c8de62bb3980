"""ArCa iPay (the BPC "RBS" gateway of most Armenian banks), one-stage payments.

Protocol facts: /work/shared/providers.md. Every call is a form POST with the merchant's
userName/password and a JSON reply; the HTTP status means nothing, ``errorCode`` does.

Decisions worth knowing:
- ``provider_reference`` is the gateway's ``orderId``, not the card ``approvalCode``: approval
  codes are six characters chosen by issuers, repeat across cards (test hosts answer the same
  one every time) and would collide in the unique (provider, provider_reference) key.
  The approval code is kept in ``OrderStatus.detail`` for people.
- ArCa has no refund id. ``RefundResult.provider_refund_reference`` is
  ``"<orderId>:refund:<amount>"`` (amount in major units, "50.00"): readable, but two refunds of
  the same amount on one order share it.
- errorCode 7 means "system error" and, for refund/reverse, also "not allowed in this state" or
  "amount exceeds what was deposited"; the gateway does not tell them apart, so 7 is always
  ``ProviderUnavailable`` (nothing is known: re-check with a status lookup).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

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
    from_minor_units,
    numeric_code,
    to_major_string,
    to_minor_units,
)

log = structlog.get_logger(__name__)

MAX_ORDER_NUMBER = 36
MAX_SESSION_SECONDS = 1200
_SYSTEM_ERROR = "7"

_STATES: dict[int, OrderState] = {
    0: OrderState.PENDING,  # registered, customer has not paid yet
    1: OrderState.PENDING,  # pre-authorised (two-stage): held, not deposited, no money moved
    2: OrderState.PAID,  # deposited
    3: OrderState.REVERSED,
    4: OrderState.REFUNDED,
    5: OrderState.PENDING,  # 3-D Secure in progress: NOT paid
    6: OrderState.DECLINED,
}


@dataclass(frozen=True, slots=True)
class ArcaConfig:
    """Merchant API account. Secrets stay out of repr (and so out of logs and tracebacks)."""

    base_url: str  # e.g. https://ipaytest.arca.am:8445/payment/rest
    username: str = field(repr=False)
    password: str = field(repr=False)
    callback_key: str | None = field(default=None, repr=False)  # None: callbacks refused
    timeout_seconds: float = 10.0
    language: str = "en"  # hy, ru, en


def callback_checksum(params: Mapping[str, str], key: str) -> str:
    """Lower-case hex HMAC-SHA256 over ``name;value;`` of every param but checksum/sign_alias."""
    signed = sorted((k, v) for k, v in params.items() if k not in ("checksum", "sign_alias"))
    message = "".join(f"{name};{value};" for name, value in signed)
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


class ArcaProvider:
    name = "arca"
    supports_status_lookup = True
    signs_callbacks = True
    max_session = timedelta(seconds=MAX_SESSION_SECONDS)  # the payment page closes after it

    def __init__(
        self,
        config: ArcaConfig,
        client: httpx.AsyncClient | None = None,
        *,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self._config = config
        self._client = client  # None: a short-lived client per call
        self._now = now

    def __repr__(self) -> str:
        return f"ArcaProvider(base_url={self._config.base_url!r})"

    async def create_order(self, order: OrderRequest) -> CreatedOrder:
        seconds = int((order.expires_at - self._now()).total_seconds())
        reply = await self._call(
            "register",
            {
                "orderNumber": order.order_number[:MAX_ORDER_NUMBER],
                "amount": str(to_minor_units(order.amount)),
                "currency": numeric_code(order.amount.currency),
                "returnUrl": order.return_url,
                "failUrl": order.return_url,
                "description": order.description,
                "language": self._config.language,
                "sessionTimeoutSecs": str(min(max(seconds, 1), MAX_SESSION_SECONDS)),
            },
        )
        return CreatedOrder(_text(reply, "orderId"), _text(reply, "formUrl"))

    async def order_status(self, provider_order_id: str) -> OrderStatus:
        # errorCode 2 ("declined") still carries the order's status fields.
        reply = await self._call(
            "getOrderStatusExtended", {"orderId": provider_order_id}, ok=("0", "2")
        )
        try:
            return _order_status(provider_order_id, reply)
        except UnsupportedCurrency as exc:
            raise ProviderError("UNSUPPORTED_CURRENCY", f"ArCa order status: {exc}") from None
        except (ValueError, TypeError, AttributeError) as exc:
            raise ProviderUnavailable(f"ArCa order status: unreadable reply: {exc}") from None

    async def refund(
        self, provider_order_id: str, amount: Money, *, reference: str | None = None
    ) -> RefundResult:
        # refund.do takes no reference of ours: an interrupted refund is settled by the order's
        # refunded total (one refund per payment in flight at a time).
        params = {"orderId": provider_order_id, "amount": str(to_minor_units(amount))}
        await self._call("refund", params)
        return RefundResult(f"{provider_order_id}:refund:{reference or to_major_string(amount)}")

    async def reverse(self, provider_order_id: str) -> None:
        await self._call("reverse", {"orderId": provider_order_id})

    def verify_callback(
        self, *, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> CallbackEvent:
        key = self._config.callback_key
        if not key:
            raise InvalidCallback("ArCa callbacks are not configured (no callback key)")
        params = _callback_params(query, body)
        given = params.get("checksum", "")
        if not given:
            raise InvalidCallback("ArCa callback without checksum")
        expected = callback_checksum(params, key).encode()
        if not hmac.compare_digest(expected, given.lower().encode()):
            raise InvalidCallback("ArCa callback checksum does not verify")
        md_order, operation = params.get("mdOrder", ""), params.get("operation", "")
        status = params.get("status", "")
        if not md_order or not operation or status not in ("0", "1"):
            raise InvalidCallback("ArCa callback lacks mdOrder, operation or status")
        event_id = f"{md_order}:{operation}:{status}"
        if params.get("amount"):
            event_id += f":{params['amount']}"  # partial refunds of different amounts differ
        return CallbackEvent(event_id, md_order, _callback_state(operation, status))

    async def _call(
        self, name: str, params: dict[str, str], *, ok: tuple[str, ...] = ("0",)
    ) -> dict[str, Any]:
        """POST one operation; the reply when its errorCode is in ``ok``, else raise."""
        url = f"{self._config.base_url.rstrip('/')}/{name}.do"
        form = {"userName": self._config.username, "password": self._config.password, **params}
        label = f"ArCa {name}.do"
        response = await http.post(
            self._client, url, seconds=self._config.timeout_seconds, label=label, data=form
        )
        reply = http.json_object(response, label)
        code = str(reply.get("errorCode", "0")).strip() or "0"
        if code in ok:
            return reply
        message = http.redact(
            str(reply.get("errorMessage", "")), self._config.password, self._config.username
        )
        log.warning("provider.refused", provider=self.name, operation=name, code=code)
        if code == _SYSTEM_ERROR:
            raise ProviderUnavailable(f"ArCa {name}.do: errorCode 7 (system error): {message}")
        raise ProviderError(code, f"ArCa {name}.do refused: errorCode {code}: {message}")


def _order_status(order_id: str, reply: dict[str, Any]) -> OrderStatus:
    status = _integer(reply.get("orderStatus"))
    if status is None and str(reply.get("errorCode")) == "2":
        status = 6
    if status not in _STATES:
        raise ValueError(f"unknown orderStatus {reply.get('orderStatus')!r}")
    state = _STATES[status]
    currency = currency_for_numeric(reply.get("currency"))  # what the gateway says, not ours
    info = reply.get("paymentAmountInfo") or {}
    amount = from_minor_units(reply.get("amount"), currency)
    if state is OrderState.PAID and info.get("depositedAmount") is not None:
        amount = from_minor_units(info["depositedAmount"], currency)
    refunded = None
    if info.get("refundedAmount") is not None:
        refunded = from_minor_units(info["refundedAmount"], currency)
        refunded = refunded if refunded.amount > 0 else None
    approval = (reply.get("cardAuthInfo") or {}).get("approvalCode")
    detail = f"orderStatus {status}, actionCode {reply.get('actionCode')}"
    if approval:
        detail += f", approvalCode {approval}"
    return OrderStatus(
        order_id,
        state,
        amount,
        order_id,
        refunded=refunded,
        detail=detail,
        captured_at=_epoch_ms(reply.get("authDateTime")),
    )


def _epoch_ms(value: object) -> datetime | None:
    """ArCa's ``authDateTime``: when the card payment was authorised (epoch milliseconds)."""
    millis = _integer(value)
    return datetime.fromtimestamp(millis / 1000, UTC) if millis else None


def _integer(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _text(reply: dict[str, Any], name: str) -> str:
    value = reply.get(name)
    if not isinstance(value, str) or not value:
        raise ProviderUnavailable(f"ArCa reply lacks {name}")
    return value


def _callback_params(query: Mapping[str, str], body: bytes) -> dict[str, str]:
    """POST callbacks carry a form body; GET ones the query (then the body is empty)."""
    if not body:
        return dict(query)
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
    except ValueError:  # UnicodeDecodeError included
        raise InvalidCallback("ArCa callback body is not a form") from None
    params = dict(pairs)
    if len(params) != len(pairs):
        raise InvalidCallback("ArCa callback repeats a parameter")
    return params


def _callback_state(operation: str, status: str) -> OrderState | None:
    """What the callback claims. ``approved`` is an authorisation, not a deposit: PENDING, as in
    ``order_status``. A failed reversal or refund says nothing about the order: None."""
    if operation == "declinedByTimeout":
        return OrderState.DECLINED
    if operation in ("approved", "deposited"):
        if status == "0":
            return OrderState.DECLINED
        return OrderState.PAID if operation == "deposited" else OrderState.PENDING
    if status == "1":
        return {"reversed": OrderState.REVERSED, "refunded": OrderState.REFUNDED}.get(operation)
    return None
