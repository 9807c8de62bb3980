"""Telcell (wallet and payment terminals): an invoice form posted by the browser, then a
signed callback to our result URL (``/webhooks/telcell``), answered ``OK``.

Protocol (no public manual; what arm092/omnipay-telcell, k3rnel/omnipay-telcell-wallet and
ArtMin96/omnipay-telcell-wallet agree on, see ``/work/shared/providers.md``): the form goes to
``https://telcellmoney.am/invoices`` with ``action=PostInvoice``, ``issuer`` (shop id),
``currency`` ("֏"), ``price``, ``product`` (base64 description), ``issuer_id`` (base64 of our
order number), ``valid_days``, ``lang`` and ``security_code = MD5(shop_key + issuer + currency +
price + product + issuer_id + valid_days)``. The callback carries ``invoice_id``, ``issuer_id``,
``payment_id``, ``buyer``, ``currency``, ``sum``, ``time``, ``status`` and ``checksum = MD5(
shop_key + invoice_id + issuer_id + payment_id + buyer + currency + sum + time + status)``.

No status, cancel or refund API exists: the signed callback is the proof of the money
(SIGNED_CALLBACK through the one door), refunds are manual with the operator's reference, and
reconciliation relies on Telcell's merchant report.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from payable.core.money import Currency, Money
from payable.providers import wallet_forms
from payable.providers.base import (
    CallbackEvent,
    CreatedOrder,
    InvalidCallback,
    OrderRequest,
    OrderState,
    OrderStatus,
    PaymentForm,
    ProviderError,
    RefundResult,
)
from payable.providers.currencies import from_major, to_major_string

INVOICE_URL = "https://telcellmoney.am/invoices"
DRAM = "֏"
_SIGNED = ("invoice_id", "issuer_id", "payment_id", "buyer", "currency", "sum", "time", "status")
_STATES = {
    "PAID": OrderState.PAID,
    "REJECTED": OrderState.DECLINED,
    "CANCELLED": OrderState.DECLINED,
    "CANCELED": OrderState.DECLINED,
    "FAILED": OrderState.DECLINED,
    "EXPIRED": OrderState.EXPIRED,
}


@dataclass(frozen=True, slots=True)
class TelcellConfig:
    """Secrets stay out of repr (and so out of logs and tracebacks)."""

    shop_id: str = field(repr=False)  # "issuer"
    shop_key: str = field(repr=False)
    public_url: str = "http://127.0.0.1:8000"
    invoice_url: str = INVOICE_URL
    valid_days: int = 1
    language: str = "am"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def security_code(fields: Mapping[str, str], shop_key: str) -> str:
    names = ("issuer", "currency", "price", "product", "issuer_id", "valid_days")
    return wallet_forms.md5_hex(shop_key + "".join(fields[name] for name in names))


def callback_checksum(fields: Mapping[str, str], shop_key: str) -> str:
    return wallet_forms.md5_hex(shop_key + "".join(fields[name] for name in _SIGNED))


class TelcellProvider:
    name = "telcell"
    supports_status_lookup = False
    signs_callbacks = True

    def __init__(self, config: TelcellConfig) -> None:
        self._config = config
        # The invoice stays payable at Telcell for valid_days: a link never promises longer.
        self.max_session: timedelta | None = timedelta(days=config.valid_days)

    async def create_order(self, order: OrderRequest) -> CreatedOrder:
        """No call to Telcell: the invoice is created when the browser posts the form."""
        if order.amount.currency is not Currency.AMD:
            raise ProviderError("CURRENCY_NOT_SUPPORTED", "Telcell takes AMD only")
        fields = {
            "action": "PostInvoice",
            "issuer": self._config.shop_id,
            "currency": DRAM,
            "price": to_major_string(order.amount),
            "product": b64(order.description),
            "issuer_id": b64(order.order_number),
            "valid_days": str(self._config.valid_days),
            "lang": self._config.language,
        }
        fields["security_code"] = security_code(fields, self._config.shop_key)
        url = f"{self._config.public_url.rstrip('/')}/payments/pay/{order.order_number}"
        form = PaymentForm(action=self._config.invoice_url, fields=tuple(fields.items()))
        return CreatedOrder(provider_order_id=order.order_number, payment_url=url, form=form)

    async def order_status(self, provider_order_id: str) -> OrderStatus:
        """Telcell answers no lookups: "no news" (PENDING); its signed callback or its report
        bring the money, and money after the link expired is held as late."""
        return wallet_forms.no_news(provider_order_id)

    async def refund(
        self, provider_order_id: str, amount: Money, *, reference: str | None = None
    ) -> RefundResult:
        raise wallet_forms.manual_refund("Telcell")

    async def reverse(self, provider_order_id: str) -> None:
        # The invoice stays payable at Telcell until it lapses; money on it then is held.
        raise ProviderError(wallet_forms.NO_CANCEL_API, "Telcell invoices cannot be cancelled")

    def verify_callback(
        self, *, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> CallbackEvent:
        fields = wallet_forms.params(query, body, "Telcell")
        given = fields.get("checksum", "")
        missing = [name for name in _SIGNED if name not in fields]
        if missing or not given:
            raise InvalidCallback(f"Telcell callback lacks {', '.join(missing) or 'checksum'}")
        expected = callback_checksum(fields, self._config.shop_key)
        if not wallet_forms.same_checksum(expected, given):
            raise InvalidCallback("Telcell callback checksum does not verify")
        order = _order_number(fields["issuer_id"])
        status = fields["status"].strip().upper()
        state = _STATES.get(status)
        reference = fields["payment_id"] or fields["invoice_id"]
        if not order or not reference:
            raise InvalidCallback("Telcell callback without issuer_id or payment_id")
        facts = None
        if state is not None:
            facts = OrderStatus(
                provider_order_id=order,
                state=state,
                amount=_amount(fields) if state is OrderState.PAID else None,
                provider_reference=reference,
                detail=status,
                captured_at=wallet_forms.local_time(fields["time"]),
            )
        return CallbackEvent(
            event_id=f"{fields['invoice_id']}:{reference}:{status}",
            provider_order_id=order,
            state=state,
            facts=facts,
        )


def _order_number(issuer_id: str) -> str:
    """Our order number, sent base64-encoded; integrations disagree on whether Telcell decodes
    it before calling back, and an order number (a UUID, with hyphens) is never valid base64."""
    try:
        return base64.b64decode(issuer_id, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return issuer_id


def _amount(fields: Mapping[str, str]) -> Money:
    if fields["currency"].strip() not in (DRAM, "AMD", "051"):
        raise InvalidCallback("Telcell callback in a currency other than AMD")
    try:
        return from_major(fields["sum"].strip(), Currency.AMD)
    except ValueError:
        raise InvalidCallback("Telcell sum is not an amount") from None
