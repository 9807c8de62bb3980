"""The Ameriabank vPOS adapter against a local fake of the gateway (no database, no network)."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from payable.core.money import Currency, Money
from payable.providers.ameriabank import AmeriabankProvider, AmeriaConfig, ameria_order_id
from payable.providers.base import (
    InvalidCallback,
    OrderRequest,
    OrderState,
    ProviderError,
    ProviderUnavailable,
)
from tests.providers.fakes import assert_no_secrets
from tests.providers.fakes.ameriabank_gateway import CLIENT_ID, PASSWORD, USERNAME, FakeAmeria

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
BASE = "http://ameria.test/VPOS/"
SECRETS = (CLIENT_ID, USERNAME, PASSWORD)
CONFIG = AmeriaConfig(BASE, CLIENT_ID, USERNAME, PASSWORD)


def amd(amount: str) -> Money:
    return Money(Decimal(amount), Currency.AMD)


def order(
    amount: Money | None = None, *, expires_in: timedelta = timedelta(hours=1)
) -> OrderRequest:
    return OrderRequest(
        order_number=str(uuid.uuid4()),
        amount=amount or amd("1500.50"),
        description="Booking 42",
        return_url="https://shop.test/return",
        expires_at=NOW + expires_in,
    )


@pytest.fixture
def gateway() -> FakeAmeria:
    return FakeAmeria()


@pytest.fixture
async def http(gateway: FakeAmeria) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=gateway.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ameria.test") as client:
        yield client


def make(http: httpx.AsyncClient, **changes: Any) -> AmeriabankProvider:
    return AmeriabankProvider(dataclasses.replace(CONFIG, **changes), http, now=lambda: NOW)


@pytest.fixture
def ameria(http: httpx.AsyncClient) -> AmeriabankProvider:
    return make(http)


async def paid_payment(
    ameria: AmeriabankProvider, gateway: FakeAmeria, amount: str = "1500.50"
) -> str:
    created = await ameria.create_order(order(amd(amount)))
    gateway.approve(created.provider_order_id)
    return created.provider_order_id


# create_order


async def test_init_payment_sends_decimal_amount_iso_currency_and_integer_order_id(
    ameria: AmeriabankProvider, gateway: FakeAmeria
) -> None:
    request = order(amd("1500.50"))
    created = await ameria.create_order(request)

    sent = gateway.last("InitPayment")
    assert sent["Amount"] == "1500.50"
    assert sent["Currency"] == "051"
    assert sent["OrderID"] == int(uuid.UUID(request.order_number).hex[:15], 16)
    assert sent["Opaque"] == request.order_number
    assert sent["BackURL"] == "https://shop.test/return"
    assert sent["Description"] == "Booking 42"
    assert sent["Timeout"] == 1200
    assert (sent["ClientID"], sent["Username"], sent["Password"]) == (CLIENT_ID, USERNAME, PASSWORD)
    payment_id = created.provider_order_id
    assert payment_id in gateway.payments
    assert created.payment_url == f"http://ameria.test/VPOS/Payments/Pay?id={payment_id}&lang=en"


@pytest.mark.parametrize(
    ("currency", "code"),
    [(Currency.AMD, "051"), (Currency.USD, "840"), (Currency.EUR, "978"), (Currency.RUB, "643")],
)
async def test_currency_goes_as_iso_numeric(
    ameria: AmeriabankProvider, gateway: FakeAmeria, currency: Currency, code: str
) -> None:
    await ameria.create_order(order(Money(Decimal("10"), currency)))
    assert gateway.last("InitPayment")["Currency"] == code
    assert gateway.last("InitPayment")["Amount"] == "10.00"


@pytest.mark.parametrize(
    ("expires_in", "seconds"),
    [(timedelta(seconds=90), 90), (timedelta(seconds=-30), 1), (timedelta(days=2), 1200)],
)
async def test_timeout_is_time_left_clamped(
    ameria: AmeriabankProvider, gateway: FakeAmeria, expires_in: timedelta, seconds: int
) -> None:
    await ameria.create_order(order(expires_in=expires_in))
    assert gateway.last("InitPayment")["Timeout"] == seconds


def test_order_id_is_stable_positive_and_fits_64_bits() -> None:
    number = "0f8e7d6c-5b4a-4938-8271-605f4e3d2c1b"
    assert ameria_order_id(number) == ameria_order_id(number) == 0x0F8E7D6C5B4A493
    assert 0 < ameria_order_id("not-a-uuid") < 2**63
    assert ameria_order_id("not-a-uuid") != ameria_order_id("not-a-uuid-2")


async def test_repeated_init_returns_the_same_payment(ameria: AmeriabankProvider) -> None:
    request = order()
    assert (await ameria.create_order(request)) == (await ameria.create_order(request))


async def test_init_code_01_is_not_success(ameria: AmeriabankProvider, gateway: FakeAmeria) -> None:
    gateway.fail_next("01", "Order already exists")  # int("01") == 1, the success code
    with pytest.raises(ProviderError) as refused:
        await ameria.create_order(order())
    assert refused.value.code == "01"


# order_status


async def test_started_payment_is_pending(ameria: AmeriabankProvider) -> None:
    created = await ameria.create_order(order(amd("1500.50")))
    status = await ameria.order_status(created.provider_order_id)  # ResponseCode "0-100"
    assert status.state is OrderState.PENDING
    assert status.amount == amd("1500.50")
    assert status.provider_reference == created.provider_order_id


async def test_deposited_payment_is_paid(ameria: AmeriabankProvider, gateway: FakeAmeria) -> None:
    payment_id = await paid_payment(ameria, gateway, "1500.50")
    status = await ameria.order_status(payment_id)
    assert status.state is OrderState.PAID
    assert status.amount == amd("1500.50")
    assert status.provider_order_id == status.provider_reference == payment_id
    assert status.refunded is None


@pytest.mark.parametrize("move", [FakeAmeria.hold, FakeAmeria.autoauthorize])
async def test_approved_or_autoauthorized_is_pending_until_deposited(
    ameria: AmeriabankProvider, gateway: FakeAmeria, move: object
) -> None:
    created = await ameria.create_order(order())
    move(gateway, created.provider_order_id)  # type: ignore[operator]
    assert (await ameria.order_status(created.provider_order_id)).state is OrderState.PENDING


async def test_declined_payment(ameria: AmeriabankProvider, gateway: FakeAmeria) -> None:
    created = await ameria.create_order(order())
    gateway.decline(created.provider_order_id, response_code="0116")
    status = await ameria.order_status(created.provider_order_id)
    assert status.state is OrderState.DECLINED
    assert "0116" in (status.detail or "")


async def test_unknown_payment(ameria: AmeriabankProvider) -> None:
    with pytest.raises(ProviderError) as refused:
        await ameria.order_status(str(uuid.uuid4()))
    assert refused.value.code == "06"
    assert not isinstance(refused.value, ProviderUnavailable)


async def test_currency_the_gateway_reports_is_what_we_report(
    ameria: AmeriabankProvider, gateway: FakeAmeria
) -> None:
    payment_id = await paid_payment(ameria, gateway, "10.00")
    gateway.payments[payment_id].reported_currency = "978"
    status = await ameria.order_status(payment_id)
    assert status.amount == Money(Decimal("10.00"), Currency.EUR)


# refund and reverse


async def test_partial_refund_then_the_rest(
    ameria: AmeriabankProvider, gateway: FakeAmeria
) -> None:
    payment_id = await paid_payment(ameria, gateway, "1000.00")

    first = await ameria.refund(payment_id, amd("300.00"))
    assert gateway.last("RefundPayment")["Amount"] == "300.00"
    assert first.provider_refund_reference == f"{payment_id}:refund:300.00"
    status = await ameria.order_status(payment_id)
    assert status.state is OrderState.REFUNDED
    assert status.refunded == amd("300.00")

    await ameria.refund(payment_id, amd("700.00"))
    assert (await ameria.order_status(payment_id)).refunded == amd("1000.00")


async def test_refund_over_the_deposited_amount_is_refused_with_07(
    ameria: AmeriabankProvider, gateway: FakeAmeria
) -> None:
    payment_id = await paid_payment(ameria, gateway, "1000.00")
    await ameria.refund(payment_id, amd("600.00"))
    with pytest.raises(ProviderError) as refused:
        await ameria.refund(payment_id, amd("400.01"))
    assert refused.value.code == "07"
    assert not isinstance(refused.value, ProviderUnavailable)
    assert (await ameria.order_status(payment_id)).refunded == amd("600.00")


async def test_reverse(ameria: AmeriabankProvider, gateway: FakeAmeria) -> None:
    payment_id = await paid_payment(ameria, gateway)
    await ameria.reverse(payment_id)
    assert gateway.last("CancelPayment")["PaymentID"] == payment_id
    assert (await ameria.order_status(payment_id)).state is OrderState.REVERSED


async def test_reverse_after_refund_is_impossible(
    ameria: AmeriabankProvider, gateway: FakeAmeria
) -> None:
    payment_id = await paid_payment(ameria, gateway)
    await ameria.refund(payment_id, amd("1.00"))
    with pytest.raises(ProviderError) as refused:
        await ameria.reverse(payment_id)
    assert refused.value.code == "07"


# failures


@pytest.mark.parametrize("field", ["username", "password", "client_id"])
async def test_bad_credentials_are_not_retryable(http: httpx.AsyncClient, field: str) -> None:
    ameria = make(http, **{field: "wrong-credential-xyz"})
    with pytest.raises(ProviderError) as refused:
        await ameria.create_order(order())
    assert refused.value.code == "20"
    assert not refused.value.retryable
    assert_no_secrets(refused.value, [*SECRETS, "wrong-credential-xyz"])


@pytest.mark.parametrize("code", ["550", "500", "07"])
async def test_system_error_is_unavailable(
    ameria: AmeriabankProvider, gateway: FakeAmeria, code: str
) -> None:
    gateway.fail_next(code, "System Error")
    with pytest.raises(ProviderUnavailable) as unavailable:
        await ameria.order_status(str(uuid.uuid4()))
    assert unavailable.value.retryable


async def test_system_error_on_init(ameria: AmeriabankProvider, gateway: FakeAmeria) -> None:
    gateway.fail_next(550, "System Error")
    with pytest.raises(ProviderUnavailable):
        await ameria.create_order(order())


async def test_non_json_reply_is_unavailable(
    ameria: AmeriabankProvider, gateway: FakeAmeria
) -> None:
    gateway.answer_next_with("<html>Service Unavailable</html>", status_code=503)
    with pytest.raises(ProviderUnavailable):
        await ameria.create_order(order())


async def test_slow_gateway_times_out(http: httpx.AsyncClient, gateway: FakeAmeria) -> None:
    ameria = make(http, timeout_seconds=0.05)
    gateway.slow(2.0)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable) as unavailable:
        await ameria.order_status(str(uuid.uuid4()))
    assert time.monotonic() - started < 1.0
    assert_no_secrets(unavailable.value, SECRETS)


async def test_connection_failure_is_unavailable_and_hides_the_request() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        ameria = make(client)
        with pytest.raises(ProviderUnavailable) as unavailable:
            await ameria.create_order(order())
    assert unavailable.value.__cause__ is None
    assert_no_secrets(unavailable.value, SECRETS)


async def test_credentials_never_in_repr_errors_or_logs(
    ameria: AmeriabankProvider, gateway: FakeAmeria
) -> None:
    assert_no_secrets(ameria, SECRETS)
    assert_no_secrets(ameria._config, SECRETS)
    errors: list[Exception] = []
    with capture_logs() as logs:
        for code in ("20", "550", "06", "07"):
            gateway.fail_next(code, f"failed for {CLIENT_ID} {USERNAME} / {PASSWORD}")
            try:
                await ameria.refund(str(uuid.uuid4()), amd("1.00"))
            except ProviderError as exc:
                errors.append(exc)
        gateway.answer_next_with(f"oops {PASSWORD}")
        with pytest.raises(ProviderUnavailable) as unreadable:
            await ameria.order_status(str(uuid.uuid4()))
        errors.append(unreadable.value)
    assert len(errors) == 5
    for error in errors:
        assert_no_secrets(error, SECRETS)
    assert logs
    assert_no_secrets(logs, SECRETS)


# browser return (unsigned)


def test_return_query_is_read_but_claims_nothing(ameria: AmeriabankProvider) -> None:
    payment_id = str(uuid.uuid4())
    query = {"orderID": "123", "resposneCode": "00", "paymentID": payment_id, "opaque": "x"}
    event = ameria.verify_callback(headers={}, query=query, body=b"")
    assert event.provider_order_id == payment_id
    assert event.state is None  # only GetPaymentDetails decides
    assert event.event_id == f"{payment_id}:return:00"


@pytest.mark.parametrize("payment_id", [None, "", "../../etc", "not-a-guid"])
def test_return_without_a_valid_payment_id_is_rejected(
    ameria: AmeriabankProvider, payment_id: str | None
) -> None:
    query = {"orderID": "123", "resposneCode": "00"}
    if payment_id is not None:
        query["paymentID"] = payment_id
    with pytest.raises(InvalidCallback):
        ameria.verify_callback(headers={}, query=query, body=b"")
