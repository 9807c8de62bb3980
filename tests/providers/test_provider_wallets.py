"""The Idram and Telcell adapters on their own: forms, checksums, refusals (no database)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from payable.core.money import Currency, Money
from payable.providers.base import InvalidCallback, OrderRequest, OrderState, ProviderError
from payable.providers.idram import IdramConfig, IdramProvider
from payable.providers.telcell import TelcellConfig, TelcellProvider
from tests.providers.fakes import assert_no_secrets
from tests.providers.fakes.idram_gateway import REC_ACCOUNT, SECRET_KEY, checksum
from tests.providers.fakes.telcell_gateway import SHOP_ID, SHOP_KEY

IDRAM = IdramProvider(IdramConfig(REC_ACCOUNT, SECRET_KEY, "https://pay.example"))
TELCELL = TelcellProvider(TelcellConfig(SHOP_ID, SHOP_KEY, "https://pay.example"))
ORDER = str(uuid.UUID(int=7))


def _order(amount: str = "15000.00", currency: Currency = Currency.AMD) -> OrderRequest:
    return OrderRequest(
        order_number=ORDER,
        amount=Money(Decimal(amount), currency),
        description="CL-ABC123-1",
        return_url="https://pay.example/payments/return/x",
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    )


def _confirmation(**changes: str) -> dict[str, str]:
    fields = {
        "EDP_BILL_NO": ORDER,
        "EDP_REC_ACCOUNT": REC_ACCOUNT,
        "EDP_PAYER_ACCOUNT": "200000123",
        "EDP_AMOUNT": "15000.00",
        "EDP_TRANS_ID": "7001",
        "EDP_TRANS_DATE": "03/12/2026 14:30:00",
    } | changes
    return fields | {"EDP_CHECKSUM": checksum(fields)}


def _idram(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


async def test_idram_builds_the_form_once_with_the_amount_string() -> None:
    created = await IDRAM.create_order(_order())

    assert created.provider_order_id == ORDER
    assert created.payment_url == f"https://pay.example/payments/pay/{ORDER}"
    assert created.form is not None
    assert created.form.action == "https://banking.idram.am/Payment/GetPayment"
    assert dict(created.form.fields)["EDP_AMOUNT"] == "15000.00"
    with pytest.raises(ProviderError) as refused:
        await IDRAM.create_order(_order("40.00", Currency.USD))
    assert refused.value.code == "CURRENCY_NOT_SUPPORTED"


def test_idram_confirmation_facts_and_checksum_in_either_case() -> None:
    fields = _confirmation()
    upper = fields | {"EDP_CHECKSUM": fields["EDP_CHECKSUM"].upper()}

    event = IDRAM.verify_callback(headers={}, query={}, body=_idram(upper))

    assert (event.event_id, event.provider_order_id, event.state) == (
        "7001",
        ORDER,
        OrderState.PAID,
    )
    assert event.facts is not None
    assert event.facts.amount == Money(Decimal("15000.00"), Currency.AMD)
    assert event.facts.provider_reference == "7001"
    assert event.facts.captured_at == datetime(2026, 12, 3, 10, 30, tzinfo=UTC)  # Yerevan +4


@pytest.mark.parametrize(
    "fields",
    [
        _confirmation() | {"EDP_AMOUNT": "1.00"},  # altered after signing
        _confirmation(EDP_REC_ACCOUNT="999"),  # signed, but for another merchant
        {k: v for k, v in _confirmation().items() if k != "EDP_CHECKSUM"},  # unsigned
        _confirmation(EDP_AMOUNT="abc"),  # signed nonsense
    ],
)
def test_idram_refuses_what_does_not_verify(fields: dict[str, str]) -> None:
    with pytest.raises(InvalidCallback):
        IDRAM.verify_callback(headers={}, query={}, body=_idram(fields))


def test_idram_reads_a_precheck_and_only_a_precheck() -> None:
    asked = {"EDP_PRECHECK": "YES", "EDP_BILL_NO": ORDER, "EDP_REC_ACCOUNT": REC_ACCOUNT}

    question = IDRAM.read_precheck(query={}, body=_idram(asked | {"EDP_AMOUNT": "15000"}))
    not_one = IDRAM.read_precheck(query={}, body=_idram(_confirmation()))

    assert question is not None
    assert (question.provider_order_id, question.amount.amount) == (ORDER, Decimal("15000.00"))
    assert not_one is None
    with pytest.raises(InvalidCallback):
        IDRAM.read_precheck(query={}, body=_idram(asked | {"EDP_REC_ACCOUNT": "9"}))


async def test_wallets_refund_by_hand_and_answer_no_lookups() -> None:
    for wallet in (IDRAM, TELCELL):
        with pytest.raises(ProviderError) as refused:
            await wallet.refund(ORDER, Money(Decimal("1.00"), Currency.AMD), reference="r")
        status = await wallet.order_status(ORDER)
        assert refused.value.code == "MANUAL_REFUND_REQUIRED"
        assert (status.state, status.amount) == (OrderState.PENDING, None)
        assert (wallet.supports_status_lookup, wallet.signs_callbacks) == (False, True)
    await IDRAM.reverse(ORDER)  # nothing to cancel: the precheck refuses a closed bill
    with pytest.raises(ProviderError) as cannot:
        await TELCELL.reverse(ORDER)
    assert cannot.value.code == "NO_CANCEL_API"
    assert TELCELL.max_session == timedelta(days=1)


def test_configs_keep_their_secrets_out_of_repr() -> None:
    assert_no_secrets(IdramConfig(REC_ACCOUNT, SECRET_KEY), [REC_ACCOUNT, SECRET_KEY])
    assert_no_secrets(TelcellConfig(SHOP_ID, SHOP_KEY), [SHOP_ID, SHOP_KEY])


async def test_telcell_signs_the_invoice_form() -> None:
    created = await TELCELL.create_order(_order())

    assert created.form is not None
    fields = dict(created.form.fields)
    assert fields == {
        "action": "PostInvoice",
        "issuer": SHOP_ID,
        "currency": "֏",
        "price": "15000.00",
        "product": base64.b64encode(b"CL-ABC123-1").decode(),
        "issuer_id": base64.b64encode(ORDER.encode()).decode(),
        "valid_days": "1",
        "lang": "am",
        "security_code": hashlib.md5(
            (
                SHOP_KEY + SHOP_ID + "֏15000.00" + fields["product"] + fields["issuer_id"] + "1"
            ).encode()
        ).hexdigest(),
    }


def _telcell(issuer_id: str, status: str = "PAID", currency: str = "֏") -> bytes:
    fields = {
        "invoice_id": "501",
        "issuer_id": issuer_id,
        "payment_id": "9001",
        "buyer": "37491000000",
        "currency": currency,
        "sum": "15000.00",
        "time": "2026-12-03 14:30:00",
        "status": status,
    }
    signed = hashlib.md5((SHOP_KEY + "".join(fields.values())).encode()).hexdigest().upper()
    return urlencode(fields | {"checksum": signed}).encode()


def test_telcell_reads_its_callback_whether_issuer_id_comes_encoded_or_not() -> None:
    encoded = TELCELL.verify_callback(
        headers={}, query={}, body=_telcell(base64.b64encode(ORDER.encode()).decode())
    )
    plain = TELCELL.verify_callback(headers={}, query={}, body=_telcell(ORDER))
    rejected = TELCELL.verify_callback(headers={}, query={}, body=_telcell(ORDER, "REJECTED"))
    unknown = TELCELL.verify_callback(headers={}, query={}, body=_telcell(ORDER, "WHATEVER"))

    assert encoded.provider_order_id == plain.provider_order_id == ORDER
    assert encoded.facts is not None and encoded.facts.amount == Money(
        Decimal("15000.00"), Currency.AMD
    )
    assert (encoded.facts.provider_reference, encoded.facts.state) == ("9001", OrderState.PAID)
    assert rejected.facts is not None
    assert (rejected.facts.state, rejected.facts.amount) == (OrderState.DECLINED, None)
    assert (unknown.state, unknown.facts) == (None, None)
    with pytest.raises(InvalidCallback):
        TELCELL.verify_callback(headers={}, query={}, body=_telcell(ORDER, currency="USD"))


def test_a_body_that_is_no_form_is_no_precheck_and_no_confirmation() -> None:
    assert IDRAM.read_precheck(query={}, body=b"\xff\xfe not a form") is None
    with pytest.raises(InvalidCallback):
        IDRAM.verify_callback(headers={}, query={}, body=b"\xff\xfe not a form")
