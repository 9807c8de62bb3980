"""The ArCa adapter against a local fake of the gateway (no database, no network)."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from structlog.testing import capture_logs

from payable.core.money import Currency, Money
from payable.providers.arca import ArcaConfig, ArcaProvider
from payable.providers.base import (
    InvalidCallback,
    OrderRequest,
    OrderState,
    ProviderError,
    ProviderUnavailable,
)
from tests.providers.fakes import assert_no_secrets
from tests.providers.fakes.arca_gateway import (
    CALLBACK_KEY,
    PASSWORD,
    USERNAME,
    FakeArca,
    sign_callback,
)

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
BASE = "http://arca.test/payment/rest"
SECRETS = (USERNAME, PASSWORD, CALLBACK_KEY)
CONFIG = ArcaConfig(BASE, USERNAME, PASSWORD, CALLBACK_KEY)


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
def gateway() -> FakeArca:
    return FakeArca()


@pytest.fixture
async def http(gateway: FakeArca) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=gateway.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://arca.test") as client:
        yield client


def make(http: httpx.AsyncClient, **changes: Any) -> ArcaProvider:
    return ArcaProvider(dataclasses.replace(CONFIG, **changes), http, now=lambda: NOW)


@pytest.fixture
def arca(http: httpx.AsyncClient) -> ArcaProvider:
    return make(http)


async def paid_order(arca: ArcaProvider, gateway: FakeArca, amount: str = "1500.50") -> str:
    created = await arca.create_order(order(amd(amount)))
    gateway.approve(created.provider_order_id)
    return created.provider_order_id


# create_order


async def test_create_order_sends_minor_units_iso_currency_and_our_order_number(
    arca: ArcaProvider, gateway: FakeArca
) -> None:
    request = order(amd("1500.50"))
    created = await arca.create_order(request)

    sent = gateway.last("register")
    assert sent["amount"] == "150050"
    assert sent["currency"] == "051"
    assert sent["orderNumber"] == request.order_number
    assert sent["returnUrl"] == sent["failUrl"] == "https://shop.test/return"
    assert sent["description"] == "Booking 42"
    assert sent["language"] == "en"
    assert sent["sessionTimeoutSecs"] == "1200"  # an hour away: clamped to the gateway's limit
    assert (sent["userName"], sent["password"]) == (USERNAME, PASSWORD)
    assert created.provider_order_id in gateway.orders
    assert created.payment_url == f"https://ipay.fake/pay?mdOrder={created.provider_order_id}"


@pytest.mark.parametrize(
    ("currency", "code"),
    [(Currency.AMD, "051"), (Currency.USD, "840"), (Currency.EUR, "978"), (Currency.RUB, "643")],
)
async def test_currency_goes_as_iso_numeric(
    arca: ArcaProvider, gateway: FakeArca, currency: Currency, code: str
) -> None:
    await arca.create_order(order(Money(Decimal("10.05"), currency)))
    assert gateway.last("register")["currency"] == code
    assert gateway.last("register")["amount"] == "1005"


@pytest.mark.parametrize(
    ("expires_in", "seconds"),
    [(timedelta(seconds=90), "90"), (timedelta(seconds=-30), "1"), (timedelta(days=2), "1200")],
)
async def test_session_timeout_is_time_left_clamped(
    arca: ArcaProvider, gateway: FakeArca, expires_in: timedelta, seconds: str
) -> None:
    await arca.create_order(order(expires_in=expires_in))
    assert gateway.last("register")["sessionTimeoutSecs"] == seconds


async def test_long_order_number_is_cut_to_36(arca: ArcaProvider, gateway: FakeArca) -> None:
    request = order()
    long = OrderRequest(
        "x" * 50, request.amount, request.description, request.return_url, request.expires_at
    )
    await arca.create_order(long)
    assert gateway.last("register")["orderNumber"] == "x" * 36


async def test_order_number_already_used_is_the_gateways_refusal(arca: ArcaProvider) -> None:
    request = order()
    await arca.create_order(request)
    with pytest.raises(ProviderError) as refused:
        await arca.create_order(request)
    assert refused.value.code == "1"
    assert not refused.value.retryable


# order_status


async def test_registered_order_is_pending_for_the_requested_amount(
    arca: ArcaProvider, gateway: FakeArca
) -> None:
    created = await arca.create_order(order(amd("1500.50")))
    status = await arca.order_status(created.provider_order_id)
    assert status.state is OrderState.PENDING
    assert status.amount == amd("1500.50")
    assert status.provider_reference == created.provider_order_id
    assert status.refunded is None


async def test_paid_order_reports_the_deposited_amount(
    arca: ArcaProvider, gateway: FakeArca
) -> None:
    order_id = await paid_order(arca, gateway, "1500.50")
    status = await arca.order_status(order_id)
    assert status.state is OrderState.PAID
    assert status.amount == amd("1500.50")
    assert status.provider_order_id == status.provider_reference == order_id
    assert "approvalCode 123456" in (status.detail or "")


async def test_3ds_in_progress_is_pending_not_paid(arca: ArcaProvider, gateway: FakeArca) -> None:
    created = await arca.create_order(order())
    gateway.start_3ds(created.provider_order_id)
    status = await arca.order_status(created.provider_order_id)
    assert status.state is OrderState.PENDING
    assert "orderStatus 5" in (status.detail or "")


async def test_preauthorised_but_not_deposited_is_pending(
    arca: ArcaProvider, gateway: FakeArca
) -> None:
    created = await arca.create_order(order())
    gateway.preauthorize(created.provider_order_id)
    assert (await arca.order_status(created.provider_order_id)).state is OrderState.PENDING


async def test_declined_order(arca: ArcaProvider, gateway: FakeArca) -> None:
    created = await arca.create_order(order())
    gateway.decline(created.provider_order_id, action_code=116)
    status = await arca.order_status(created.provider_order_id)  # gateway answers errorCode 2
    assert status.state is OrderState.DECLINED
    assert "actionCode 116" in (status.detail or "")


async def test_unknown_order_is_code_6(arca: ArcaProvider) -> None:
    with pytest.raises(ProviderError) as refused:
        await arca.order_status(str(uuid.uuid4()))
    assert refused.value.code == "6"
    assert not isinstance(refused.value, ProviderUnavailable)


async def test_currency_the_gateway_reports_is_what_we_report(
    arca: ArcaProvider, gateway: FakeArca
) -> None:
    order_id = await paid_order(arca, gateway, "10.00")
    gateway.orders[order_id].reported_currency = "840"
    status = await arca.order_status(order_id)
    assert status.amount == Money(Decimal("10.00"), Currency.USD)


async def test_unsupported_currency_is_an_error_not_a_guess(
    arca: ArcaProvider, gateway: FakeArca
) -> None:
    order_id = await paid_order(arca, gateway)
    gateway.orders[order_id].reported_currency = "392"
    with pytest.raises(ProviderError) as refused:
        await arca.order_status(order_id)
    assert refused.value.code == "UNSUPPORTED_CURRENCY"


# refund and reverse


async def test_partial_refund_then_the_rest(arca: ArcaProvider, gateway: FakeArca) -> None:
    order_id = await paid_order(arca, gateway, "1000.00")

    first = await arca.refund(order_id, amd("300.00"))
    assert gateway.last("refund")["amount"] == "30000"
    assert first.provider_refund_reference == f"{order_id}:refund:300.00"
    status = await arca.order_status(order_id)
    assert status.state is OrderState.REFUNDED
    assert status.refunded == amd("300.00")
    assert status.amount == amd("1000.00")

    await arca.refund(order_id, amd("700.00"))
    assert (await arca.order_status(order_id)).refunded == amd("1000.00")


async def test_refund_over_the_deposited_amount_is_refused(
    arca: ArcaProvider, gateway: FakeArca
) -> None:
    order_id = await paid_order(arca, gateway, "1000.00")
    await arca.refund(order_id, amd("600.00"))
    # ArCa answers errorCode 7 for "exceeds deposited" as for a system error: nothing is known.
    with pytest.raises(ProviderUnavailable) as refused:
        await arca.refund(order_id, amd("400.01"))
    assert "errorCode 7" in refused.value.message
    assert "exceeds" in refused.value.message
    assert (await arca.order_status(order_id)).refunded == amd("600.00")


async def test_reverse(arca: ArcaProvider, gateway: FakeArca) -> None:
    created = await arca.create_order(order())
    gateway.preauthorize(created.provider_order_id)
    await arca.reverse(created.provider_order_id)
    assert gateway.last("reverse")["orderId"] == created.provider_order_id
    assert (await arca.order_status(created.provider_order_id)).state is OrderState.REVERSED
    with pytest.raises(ProviderUnavailable):  # once only; again errorCode 7
        await arca.reverse(created.provider_order_id)


async def test_refund_of_unknown_order(arca: ArcaProvider) -> None:
    with pytest.raises(ProviderError) as refused:
        await arca.refund(str(uuid.uuid4()), amd("1.00"))
    assert refused.value.code == "6"


# failures


async def test_bad_credentials_are_not_retryable_and_not_repeated(
    http: httpx.AsyncClient,
) -> None:
    arca = make(http, password="wrong-password-xyz")
    with pytest.raises(ProviderError) as refused:
        await arca.create_order(order())
    assert refused.value.code == "5"
    assert not refused.value.retryable
    assert not isinstance(refused.value, ProviderUnavailable)
    assert "Access denied" in refused.value.message
    assert_no_secrets(refused.value, [*SECRETS, "wrong-password-xyz"])


async def test_system_error_is_unavailable(arca: ArcaProvider, gateway: FakeArca) -> None:
    gateway.fail_next("7", "System error")
    with pytest.raises(ProviderUnavailable) as unavailable:
        await arca.order_status(str(uuid.uuid4()))
    assert unavailable.value.retryable


async def test_non_json_reply_is_unavailable(arca: ArcaProvider, gateway: FakeArca) -> None:
    gateway.answer_next_with("<html>502 Bad Gateway</html>")
    with pytest.raises(ProviderUnavailable):
        await arca.create_order(order())


async def test_slow_gateway_times_out(http: httpx.AsyncClient, gateway: FakeArca) -> None:
    arca = make(http, timeout_seconds=0.05)
    gateway.slow(2.0)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable) as unavailable:
        await arca.create_order(order())
    assert time.monotonic() - started < 1.0
    assert_no_secrets(unavailable.value, SECRETS)


async def test_connection_failure_is_unavailable_and_hides_the_request() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        arca = make(client)
        with pytest.raises(ProviderUnavailable) as unavailable:
            await arca.refund(str(uuid.uuid4()), amd("1.00"))
    assert unavailable.value.__cause__ is None
    assert_no_secrets(unavailable.value, SECRETS)


async def test_credentials_never_in_repr_errors_or_logs(
    http: httpx.AsyncClient, gateway: FakeArca
) -> None:
    arca = make(http)
    assert_no_secrets(arca, SECRETS)
    assert_no_secrets(arca._config, SECRETS)
    errors: list[Exception] = []
    with capture_logs() as logs:
        for fail in ("5", "7", "6"):
            gateway.fail_next(fail, f"failed for {USERNAME} / {PASSWORD}")
            try:
                await arca.order_status("x")
            except ProviderError as exc:
                errors.append(exc)
        gateway.answer_next_with(f"oops {PASSWORD}")
        with pytest.raises(ProviderUnavailable) as unreadable:
            await arca.create_order(order())
        errors.append(unreadable.value)
        with pytest.raises(InvalidCallback) as rejected:
            arca.verify_callback(headers={}, query={"mdOrder": "1"}, body=b"")
        errors.append(rejected.value)
    assert len(errors) == 5
    for error in errors:
        assert_no_secrets(error, SECRETS)
    assert logs
    assert_no_secrets(logs, SECRETS)


# callbacks


def callback(**overrides: str) -> dict[str, str]:
    params = {
        "mdOrder": "7a1f2c3d-0000-4000-8000-000000000001",
        "orderNumber": "booking-42",
        "operation": "deposited",
        "status": "1",
    }
    return {**params, **overrides}


def test_signed_get_callback_is_accepted(arca: ArcaProvider) -> None:
    event = arca.verify_callback(headers={}, query=sign_callback(callback()), body=b"")
    assert event.provider_order_id == "7a1f2c3d-0000-4000-8000-000000000001"
    assert event.event_id == "7a1f2c3d-0000-4000-8000-000000000001:deposited:1"
    assert event.state is OrderState.PAID


def test_signed_post_form_callback_is_accepted(arca: ArcaProvider) -> None:
    body = urlencode(sign_callback(callback(amount="150050", sign_alias="k1"))).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    event = arca.verify_callback(headers=headers, query={}, body=body)
    assert event.state is OrderState.PAID
    assert event.event_id.endswith(":deposited:1:150050")


def test_retried_callback_has_the_same_event_id(arca: ArcaProvider) -> None:
    signed = sign_callback(callback())
    first = arca.verify_callback(headers={}, query=signed, body=b"")
    again = arca.verify_callback(headers={}, query=dict(signed), body=b"")
    assert first.event_id == again.event_id


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_checksum_case_does_not_matter(arca: ArcaProvider, case: object) -> None:
    signed = sign_callback(callback())
    signed["checksum"] = case(signed["checksum"])  # type: ignore[operator]
    assert arca.verify_callback(headers={}, query=signed, body=b"").state is OrderState.PAID


def test_tampered_value_is_rejected(arca: ArcaProvider) -> None:
    signed = sign_callback(callback(operation="declinedByTimeout", status="0"))
    signed["operation"], signed["status"] = "deposited", "1"
    with pytest.raises(InvalidCallback):
        arca.verify_callback(headers={}, query=signed, body=b"")


def test_added_parameter_is_rejected(arca: ArcaProvider) -> None:
    signed = {**sign_callback(callback()), "amount": "1"}
    with pytest.raises(InvalidCallback):
        arca.verify_callback(headers={}, query=signed, body=b"")


def test_wrong_key_is_rejected(arca: ArcaProvider) -> None:
    with pytest.raises(InvalidCallback):
        arca.verify_callback(headers={}, query=sign_callback(callback(), "other-key"), body=b"")


@pytest.mark.parametrize("checksum", [None, ""])
def test_missing_checksum_is_rejected(arca: ArcaProvider, checksum: str | None) -> None:
    params = callback() if checksum is None else {**callback(), "checksum": checksum}
    with pytest.raises(InvalidCallback):
        arca.verify_callback(headers={}, query=params, body=b"")


def test_callbacks_refused_without_a_key(http: httpx.AsyncClient) -> None:
    arca = make(http, callback_key=None)
    with pytest.raises(InvalidCallback):
        arca.verify_callback(headers={}, query=sign_callback(callback()), body=b"")


def test_unreadable_post_body_is_rejected(arca: ArcaProvider) -> None:
    with pytest.raises(InvalidCallback):
        arca.verify_callback(headers={}, query={}, body=b'{"mdOrder": "1"}')


@pytest.mark.parametrize(
    ("operation", "status", "state"),
    [
        ("deposited", "1", OrderState.PAID),
        ("approved", "1", OrderState.PENDING),  # held, not deposited: as in order_status
        ("approved", "0", OrderState.DECLINED),
        ("deposited", "0", OrderState.DECLINED),
        ("declinedByTimeout", "1", OrderState.DECLINED),
        ("reversed", "1", OrderState.REVERSED),
        ("refunded", "1", OrderState.REFUNDED),
        ("refunded", "0", None),  # a failed refund says nothing about the order
        ("somethingNew", "1", None),
    ],
)
def test_callback_claims(
    arca: ArcaProvider, operation: str, status: str, state: OrderState | None
) -> None:
    signed = sign_callback(callback(operation=operation, status=status))
    assert arca.verify_callback(headers={}, query=signed, body=b"").state is state
