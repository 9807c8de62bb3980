"""A tenant on Telcell, through the real app: a fake Telcell takes the invoice form (checking
its security code) and posts the signed callback to /webhooks/telcell as the wallet does."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from payable.core import ids
from payable.core.principal import Role
from payable.providers.telcell import TelcellConfig, TelcellProvider
from tests.api import Api
from tests.money.factories import BOOKING, RETURN_HELD
from tests.payments.factories import CREATE_REQUEST, request_link
from tests.providers.fakes.telcell_gateway import SHOP_ID, SHOP_KEY, FakeTelcell
from tests.providers.fakes.wallet_page import read_form
from tests.providers.test_payments_idram import RECORD_MANUAL
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input

GATEWAYS = """{ paymentGateways {
  current { name configured testMoney statusLookup }
  available { name configured testMoney statusLookup } } }"""


@pytest.fixture
async def telcell(
    api: Api, app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeTelcell]:
    fake = FakeTelcell(client)
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://telcell.test") as browser:
        config = TelcellConfig(
            shop_id=SHOP_ID,
            shop_key=SHOP_KEY,
            public_url="http://payable.test",
            invoice_url="http://telcell.test/invoices",
        )
        monkeypatch.setitem(app.state.providers.__dict__, "telcell", TelcellProvider(config))
        monkeypatch.setitem(app.state.settings.tenant_providers, api.tenant, "telcell")
        fake.browser = browser  # type: ignore[attr-defined]
        yield fake


async def _open_invoice(
    api: Api, client: httpx.AsyncClient, telcell: FakeTelcell
) -> tuple[str, dict[str, Any]]:
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    booking_id = created["createClinicAppointment"]["booking"]["id"]
    link = await request_link(api, booking_id)
    action, fields = await read_form(client, link["paymentUrl"])
    opened = await telcell.browser.post(urlsplit(action).path, data=dict(fields))  # type: ignore[attr-defined]
    assert opened.status_code == 200, opened.text
    return booking_id, link


async def _booking(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(BOOKING, {"id": booking_id}))["node"]


async def _payments(db: asyncpg.Connection, link: dict[str, Any]) -> list[tuple[Any, ...]]:
    _, request_id = ids.from_global_id(link["id"])
    rows = await db.fetch(
        "SELECT amount, state, held_reason, verified_by, provider_reference FROM payments"
        " WHERE payment_request_id = $1",
        request_id,
    )
    return [tuple(r) for r in rows]


async def test_the_signed_callback_verifies_the_money(
    api: Api, client: httpx.AsyncClient, telcell: FakeTelcell, db: asyncpg.Connection
) -> None:
    booking_id, link = await _open_invoice(api, client, telcell)
    order = link["providerOrderId"]
    invoice = telcell.invoices[order]

    answer = await telcell.pay(order)

    assert (invoice.price, invoice.issuer_id) == (
        "15000.00",
        base64.b64encode(order.encode()).decode(),
    )
    assert (answer.status_code, answer.text) == (200, "OK")
    after = await _booking(api, booking_id)
    assert after["paymentStatus"] == "PAID"
    assert after["amountPaid"] == {"amount": "15000.00", "currency": "AMD"}
    assert await _payments(db, link) == [
        (15000, "VERIFIED", None, "SIGNED_CALLBACK", telcell.sent[-1]["payment_id"])
    ]


async def test_a_repeated_callback_is_one_payment(
    api: Api, client: httpx.AsyncClient, telcell: FakeTelcell, db: asyncpg.Connection
) -> None:
    booking_id, link = await _open_invoice(api, client, telcell)
    await telcell.pay(link["providerOrderId"])

    again = await telcell.resend_last()

    assert (again.status_code, again.text) == (200, "OK")
    assert len(await _payments(db, link)) == 1
    assert (await _booking(api, booking_id))["amountPaid"]["amount"] == "15000.00"


async def test_a_forged_checksum_is_refused_and_records_nothing(
    api: Api, client: httpx.AsyncClient, telcell: FakeTelcell, db: asyncpg.Connection
) -> None:
    booking_id, link = await _open_invoice(api, client, telcell)

    refused = await telcell.pay(link["providerOrderId"], forge=True)
    altered = await telcell.pay(link["providerOrderId"], tamper={"sum": "1.00"})

    assert (refused.status_code, altered.status_code) == (401, 401)
    assert await _payments(db, link) == []
    assert (await _booking(api, booking_id))["paymentStatus"] == "PENDING"


async def test_another_sum_is_held_for_review(
    api: Api, client: httpx.AsyncClient, telcell: FakeTelcell, db: asyncpg.Connection
) -> None:
    booking_id, link = await _open_invoice(api, client, telcell)

    answer = await telcell.pay(link["providerOrderId"], sum="14000.00")

    assert (answer.status_code, answer.text) == (200, "OK")
    assert await _payments(db, link) == [
        (14000, "HELD", "AMOUNT_MISMATCH", "SIGNED_CALLBACK", telcell.sent[-1]["payment_id"])
    ]
    after = await _booking(api, booking_id)
    assert after["amountPaid"]["amount"] == "0.00"
    assert after["amountHeld"] == {"amount": "14000.00", "currency": "AMD"}


async def test_a_rejected_invoice_fails_the_link_and_an_unknown_one_records_nothing(
    api: Api, client: httpx.AsyncClient, telcell: FakeTelcell, db: asyncpg.Connection
) -> None:
    booking_id, link = await _open_invoice(api, client, telcell)
    unknown_order = "99999999-8888-7777-6666-555555555555"

    rejected = await telcell.pay(link["providerOrderId"], status="REJECTED")
    stranger = await telcell.pay(unknown_order)

    assert (rejected.status_code, stranger.status_code) == (200, 200)
    assert (await _booking(api, booking_id))["paymentRequests"][0]["status"] == "FAILED"
    assert await _payments(db, link) == []
    kept = await db.fetchrow(
        "SELECT status, error FROM provider_callbacks WHERE provider = 'telcell'"
        " AND provider_order_id = $1",
        unknown_order,
    )
    assert tuple(kept) == ("PROCESSED", "no payment request has this order")
    assert (
        await db.fetchval(
            "SELECT count(*) FROM payments WHERE provider_reference = $1",
            telcell.sent[-1]["payment_id"],
        )
        == 0
    )


async def test_links_never_outlive_the_invoice_and_other_currencies_are_refused(
    api: Api, telcell: FakeTelcell
) -> None:
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    booking_id = created["createClinicAppointment"]["booking"]["id"]
    usd = await api.data(
        CREATE_CLINIC, {"input": clinic_input(price={"amount": "40.00", "currency": "USD"})}
    )

    too_long = (
        await api.data(
            CREATE_REQUEST, {"input": {"bookingId": booking_id, "expiresInMinutes": 24 * 60 + 1}}
        )
    )["createPaymentRequest"]
    in_dollars = (
        await api.data(
            CREATE_REQUEST,
            {"input": {"bookingId": usd["createClinicAppointment"]["booking"]["id"]}},
        )
    )["createPaymentRequest"]

    assert [e["code"] for e in too_long["errors"]] == ["EXPIRY_BEYOND_GATEWAY_SESSION"]
    assert [e["code"] for e in in_dollars["errors"]] == ["PROVIDER_REFUSED"]


async def test_admins_see_the_tenants_gateway_and_the_available_ones_without_secrets(
    api: Api, telcell: FakeTelcell
) -> None:
    admin = api.as_role(Role.ADMIN)

    body = await admin.post(GATEWAYS)
    refused = await api.as_role(Role.ACCOUNTANT).post(GATEWAYS)

    gateways = body["data"]["paymentGateways"]
    assert gateways["current"] == {
        "name": "telcell",
        "configured": True,
        "testMoney": False,
        "statusLookup": False,
    }
    assert gateways["available"] == [
        {"name": "sandbox", "configured": True, "testMoney": True, "statusLookup": True},
        {"name": "telcell", "configured": True, "testMoney": False, "statusLookup": False},
    ]
    text = json.dumps(body)
    assert SHOP_KEY not in text and SHOP_ID not in text
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


async def test_a_tenant_on_an_unconfigured_gateway_sees_it_unconfigured(
    api: Api, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.state.settings.tenant_providers, api.tenant, "idram")

    gateways = (await api.as_role(Role.ADMIN).data(GATEWAYS))["paymentGateways"]

    assert gateways["current"] == {
        "name": "idram",
        "configured": False,
        "testMoney": False,
        "statusLookup": False,
    }
    assert [g["name"] for g in gateways["available"]] == ["sandbox"]


async def test_held_money_is_returned_by_hand_and_recorded_with_the_operators_reference(
    api: Api, client: httpx.AsyncClient, telcell: FakeTelcell, db: asyncpg.Connection
) -> None:
    # Given a wrong sum held for review
    booking_id, link = await _open_invoice(api, client, telcell)
    await telcell.pay(link["providerOrderId"], sum="14000.00")
    _, request_id = ids.from_global_id(link["id"])
    payment_id = await db.fetchval(
        "SELECT id FROM payments WHERE payment_request_id = $1", request_id
    )
    accountant = api.as_role(Role.ACCOUNTANT, sub="anna@accounts")
    held = {"paymentId": ids.to_global_id("Payment", payment_id), "reason": "wrong sum"}

    # When it is returned: Telcell cannot, so a person does, and records it
    returned = (await accountant.data(RETURN_HELD, {"input": held}))["returnHeldPayment"]
    refund_id = returned["refund"]["id"]
    recorded = (await accountant.data(RECORD_MANUAL, {"id": refund_id, "ref": "TC-RET-9"}))[
        "recordManualRefund"
    ]

    # Then the refund failed for want of an API, then succeeded by hand; the money is RETURNED
    assert (returned["refund"]["status"], returned["refund"]["failure"]) == (
        "FAILED",
        "MANUAL_REFUND_REQUIRED",
    )
    assert recorded["errors"] == []
    assert (recorded["refund"]["status"], recorded["refund"]["providerRefundReference"]) == (
        "SUCCEEDED",
        "TC-RET-9",
    )
    assert await _payments(db, link) == [
        (14000, "RETURNED", "AMOUNT_MISMATCH", "SIGNED_CALLBACK", telcell.sent[-1]["payment_id"])
    ]
    after = await _booking(api, booking_id)
    assert (after["amountHeld"]["amount"], after["amountRefunded"]["amount"]) == ("0.00", "0.00")
    open_tasks = await db.fetchval(
        "SELECT count(*) FROM review_tasks WHERE payment_id = $1 AND status = 'OPEN'", payment_id
    )
    assert open_tasks == 0
