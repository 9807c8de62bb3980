"""Idram (wallet): the browser posts a form to Idram; Idram asks us first, then confirms.

Protocol (``/work/shared/providers.md``): the form ``EDP_LANGUAGE``, ``EDP_REC_ACCOUNT``,
``EDP_DESCRIPTION``, ``EDP_AMOUNT`` (major units), ``EDP_BILL_NO`` goes to
``https://banking.idram.am/Payment/GetPayment``. Idram then calls our result URL
(``/webhooks/idram``) twice: a precheck (``EDP_PRECHECK=YES``: is this bill payable for this
amount? answered ``OK`` only when it is) and a confirmation signed with
``EDP_CHECKSUM = MD5(REC_ACCOUNT:AMOUNT:SECRET_KEY:BILL_NO:PAYER_ACCOUNT:TRANS_ID:TRANS_DATE)``.

Idram has no order, status or refund API. The signed confirmation is therefore the proof of
the money (its facts go through the one door as SIGNED_CALLBACK); a confirmation lost to an
outage is not retried (Idram e-mails the merchant) and surfaces in reconciliation of Idram's
report; refunds are made by hand and recorded with the operator's reference.
"""

from __future__ import annotations

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
    Precheck,
    ProviderError,
    RefundResult,
)
from payable.providers.currencies import from_major, to_major_string

FORM_URL = "https://banking.idram.am/Payment/GetPayment"
_SIGNED = (
    "EDP_REC_ACCOUNT",
    "EDP_AMOUNT",
    "EDP_BILL_NO",
    "EDP_PAYER_ACCOUNT",
    "EDP_TRANS_ID",
    "EDP_TRANS_DATE",
)


@dataclass(frozen=True, slots=True)
class IdramConfig:
    """Secrets stay out of repr (and so out of logs and tracebacks)."""

    rec_account: str = field(repr=False)  # our Idram account (EDP_REC_ACCOUNT)
    secret_key: str = field(repr=False)
    public_url: str = (
        "http://127.0.0.1:8000"  # where the browser opens our page that posts the form
    )
    form_url: str = FORM_URL
    language: str = "EN"  # AM, RU or EN


def confirmation_checksum(fields: Mapping[str, str], secret_key: str) -> str:
    """MD5 over the fields exactly as received (the amount string included), secret third."""
    parts = [
        fields["EDP_REC_ACCOUNT"],
        fields["EDP_AMOUNT"],
        secret_key,
        fields["EDP_BILL_NO"],
        fields["EDP_PAYER_ACCOUNT"],
        fields["EDP_TRANS_ID"],
        fields["EDP_TRANS_DATE"],
    ]
    return wallet_forms.md5_hex(":".join(parts))


class IdramProvider:
    name = "idram"
    supports_status_lookup = False
    signs_callbacks = True
    max_session: timedelta | None = None  # the precheck refuses an expired bill: no page limit

    def __init__(self, config: IdramConfig) -> None:
        self._config = config

    async def create_order(self, order: OrderRequest) -> CreatedOrder:
        """No call to Idram: the bill is ours (the request id) and the form is built once."""
        if order.amount.currency is not Currency.AMD:
            raise ProviderError("CURRENCY_NOT_SUPPORTED", "Idram takes AMD only")
        form = PaymentForm(
            action=self._config.form_url,
            fields=(
                ("EDP_LANGUAGE", self._config.language),
                ("EDP_REC_ACCOUNT", self._config.rec_account),
                ("EDP_DESCRIPTION", order.description),
                ("EDP_AMOUNT", to_major_string(order.amount)),
                ("EDP_BILL_NO", order.order_number),
            ),
        )
        url = f"{self._config.public_url.rstrip('/')}/payments/pay/{order.order_number}"
        return CreatedOrder(provider_order_id=order.order_number, payment_url=url, form=form)

    async def order_status(self, provider_order_id: str) -> OrderStatus:
        """Idram answers no lookups: "no news" (PENDING). Only its signed confirmation or its
        report bring money; no news lets an unpaid link expire or be replaced, since the
        precheck refuses to let anyone pay a link that is no longer open."""
        return wallet_forms.no_news(provider_order_id)

    async def refund(
        self, provider_order_id: str, amount: Money, *, reference: str | None = None
    ) -> RefundResult:
        raise wallet_forms.manual_refund("Idram")

    async def reverse(self, provider_order_id: str) -> None:
        """Nothing to cancel at Idram: once the link is not PENDING our precheck refuses it."""

    def read_precheck(self, *, query: Mapping[str, str], body: bytes) -> Precheck | None:
        try:
            fields = wallet_forms.params(query, body, "Idram")
        except InvalidCallback:
            return None  # not a form: refused (and kept) as a confirmation that does not verify
        if fields.get("EDP_PRECHECK", "").upper() != "YES":
            return None
        self._require_ours(fields)
        bill = fields.get("EDP_BILL_NO", "")
        if not bill:
            raise InvalidCallback("Idram precheck without EDP_BILL_NO")
        return Precheck(provider_order_id=bill, amount=_amount(fields))

    def verify_callback(
        self, *, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> CallbackEvent:
        fields = wallet_forms.params(query, body, "Idram")
        missing = [name for name in (*_SIGNED, "EDP_CHECKSUM") if not fields.get(name)]
        if missing:
            raise InvalidCallback(f"Idram confirmation lacks {', '.join(missing)}")
        expected = confirmation_checksum(fields, self._config.secret_key)
        if not wallet_forms.same_checksum(expected, fields["EDP_CHECKSUM"]):
            raise InvalidCallback("Idram confirmation checksum does not verify")
        self._require_ours(fields)
        bill, transaction = fields["EDP_BILL_NO"], fields["EDP_TRANS_ID"]
        facts = OrderStatus(
            provider_order_id=bill,
            state=OrderState.PAID,
            amount=_amount(fields),
            provider_reference=transaction,
            captured_at=wallet_forms.local_time(fields["EDP_TRANS_DATE"]),
        )
        return CallbackEvent(
            event_id=transaction, provider_order_id=bill, state=OrderState.PAID, facts=facts
        )

    def _require_ours(self, fields: Mapping[str, str]) -> None:
        if fields.get("EDP_REC_ACCOUNT") != self._config.rec_account:
            raise InvalidCallback("Idram callback for another merchant account")


def _amount(fields: Mapping[str, str]) -> Money:
    try:
        return from_major(fields.get("EDP_AMOUNT", ""), Currency.AMD)
    except ValueError:
        raise InvalidCallback("Idram EDP_AMOUNT is not an amount") from None
