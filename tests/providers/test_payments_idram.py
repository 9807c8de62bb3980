"""A tenant on Idram, through the real app: a fake Idram posts the precheck and the signed
confirmation to /webhooks/idram exactly as the wallet does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from payable.core import clock, ids
from payable.core.principal import Role
from payable.providers.idram import IdramConfig, IdramProvider
from tests.api import Api
from tests.money.factories import APPROVE_REFUND, BOOKING, REFUND_FIELDS, REQUEST_REFUND
from tests.payments.factories import CANCEL_REQUEST, request_link
from tests.providers.fakes.idram_gateway import REC_ACCOUNT, SECRET_KEY, FakeIdram
from tests.providers.fakes.wallet_page import read_form
from tests.reconciliation.test_reconciliation import HEADER, upload
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input

RECORD_MANUAL = (
    "mutation($id: ID!, $ref: String!) { recordManualRefund(refundId: $id, reference: $ref) { "
    + REFUND_FIELDS
    + " } }"
)


@pytest.fixture
async def idram(
    api: Api, app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeIdram]:
    """This test's tenant pays through Idram (a fake one, reached by the browser)."""
    fake = FakeIdram(client)
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://idram.test") as browser:
        config = IdramConfig(
            rec_account=REC_ACCOUNT,
            secret_key=SECRET_KEY,
            public_url="http://payable.test",
            form_url="http://idram.test/Payment/GetPayment",
        )
        monkeypatch.setitem(app.state.providers.__dict__, "idram", IdramProvider(config))
        monkeypatch.setitem(app.state.settings.tenant_providers, api.tenant, "idram")
        fake.browser = browser  # type: ignore[attr-defined]
        yield fake


async def _open_bill(
    api: Api, client: httpx.AsyncClient, idram: FakeIdram
) -> tuple[str, dict[str, Any], str]:
    """A booking, its link, and the bill the customer's browser opened at Idram."""
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    booking_id = created["createClinicAppointment"]["booking"]["id"]
    link = await request_link(api, booking_id)
    action, fields = await read_form(client, link["paymentUrl"])
    opened = await idram.browser.post(urlsplit(action).path, data=dict(fields))  # type: ignore[attr-defined]
    assert opened.status_code == 200, opened.text
    return booking_id, link, dict(fields)["EDP_BILL_NO"]


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


async def test_the_form_is_built_once_and_a_signed_confirmation_verifies_the_money(
    api: Api, client: httpx.AsyncClient, idram: FakeIdram, db: asyncpg.Connection
) -> None:
    booking_id, link, bill = await _open_bill(api, client, idram)
    posted = idram.bills[bill]
    again = await read_form(client, link["paymentUrl"])

    asked, confirmed = await idram.pay(bill)

    assert (link["provider"], link["providerOrderId"]) == ("idram", bill)
    assert link["paymentUrl"] == f"http://payable.test/payments/pay/{bill}"
    assert (posted.amount, posted.description) == ("15000.00", posted.description)
    assert again[1] == [
        ("EDP_LANGUAGE", "EN"),
        ("EDP_REC_ACCOUNT", REC_ACCOUNT),
        ("EDP_DESCRIPTION", posted.description),
        ("EDP_AMOUNT", "15000.00"),
        ("EDP_BILL_NO", bill),
    ]
    assert asked is not None and (asked.status_code, asked.text) == (200, "OK")
    assert confirmed is not None and (confirmed.status_code, confirmed.text) == (200, "OK")
    after = await _booking(api, booking_id)
    assert after["paymentStatus"] == "PAID"
    assert after["amountPaid"] == {"amount": "15000.00", "currency": "AMD"}
    trans_id = idram.sent[-1]["EDP_TRANS_ID"]
    assert await _payments(db, link) == [(15000, "VERIFIED", None, "SIGNED_CALLBACK", trans_id)]
    # The link is paid: the page shows no form any more, and a new precheck is refused.
    assert (await client.get(link["paymentUrl"])).status_code == 410
    late = await idram.precheck(bill)
    assert (late.status_code, late.text) == (409, "refused: NOT_OPEN")


async def test_a_repeated_confirmation_is_one_payment(
    api: Api, client: httpx.AsyncClient, idram: FakeIdram, db: asyncpg.Connection
) -> None:
    booking_id, link, bill = await _open_bill(api, client, idram)
    await idram.pay(bill)

    repeated = await idram.resend_last()

    assert (repeated.status_code, repeated.text) == (200, "OK")
    assert len(await _payments(db, link)) == 1
    assert (await _booking(api, booking_id))["amountPaid"]["amount"] == "15000.00"
    deliveries = await db.fetchval(
        "SELECT deliveries FROM provider_callbacks WHERE provider = 'idram' AND event_id = $1",
        idram.sent[-1]["EDP_TRANS_ID"],
    )
    assert deliveries == 2


async def test_a_forged_checksum_is_refused_and_records_nothing(
    api: Api, client: httpx.AsyncClient, idram: FakeIdram, db: asyncpg.Connection
) -> None:
    booking_id, link, bill = await _open_bill(api, client, idram)
    rejected = "SELECT count(*) FROM provider_callbacks WHERE provider = 'idram'" + (
        " AND status = 'REJECTED' AND NOT signature_valid"
    )
    before = await db.fetchval(rejected)

    asked, refused = await idram.pay(bill, forge=True)
    _, altered = await idram.pay(bill, skip_precheck=True, tamper={"EDP_AMOUNT": "1.00"})

    assert asked is not None and asked.text == "OK"
    assert refused is not None and refused.status_code == 401 and refused.text != "OK"
    assert altered is not None and altered.status_code == 401  # signed for 15000, claims 1
    assert await _payments(db, link) == []
    after = await _booking(api, booking_id)
    assert (after["paymentStatus"], after["paymentRequests"][0]["status"]) == ("PENDING", "PENDING")
    # both kept as refused deliveries, as a summary (their bodies are not stored)
    assert await db.fetchval(rejected) - before == 2


async def test_another_amount_is_refused_at_precheck_and_held_when_confirmed(
    api: Api, client: httpx.AsyncClient, idram: FakeIdram, db: asyncpg.Connection
) -> None:
    booking_id, link, bill = await _open_bill(api, client, idram)

    asked, nothing = await idram.pay(bill, amount="14000.00")
    _, confirmed = await idram.pay(bill, amount="14000.00", skip_precheck=True)

    assert asked is not None and (asked.status_code, asked.text) == (
        409,
        "refused: AMOUNT_MISMATCH",
    )
    assert nothing is None
    assert confirmed is not None and (confirmed.status_code, confirmed.text) == (200, "OK")
    assert await _payments(db, link) == [
        (14000, "HELD", "AMOUNT_MISMATCH", "SIGNED_CALLBACK", idram.sent[-1]["EDP_TRANS_ID"])
    ]
    after = await _booking(api, booking_id)
    assert after["amountPaid"]["amount"] == "0.00"
    assert after["amountHeld"] == {"amount": "14000.00", "currency": "AMD"}
    assert after["paymentRequests"][0]["status"] == "MANUAL_REVIEW"


async def test_the_precheck_refuses_unknown_cancelled_and_foreign_bills(
    api: Api, client: httpx.AsyncClient, idram: FakeIdram
) -> None:
    _, link, bill = await _open_bill(api, client, idram)

    unknown = await idram.precheck("00000000-0000-0000-0000-000000000000", "15000.00")
    foreign = await client.post(
        "/webhooks/idram",
        data={
            "EDP_PRECHECK": "YES",
            "EDP_BILL_NO": bill,
            "EDP_REC_ACCOUNT": "999",
            "EDP_AMOUNT": "15000.00",
        },
    )
    open_before = await idram.precheck(bill)
    cancelled = await api.data(
        CANCEL_REQUEST, {"input": {"paymentRequestId": link["id"], "reason": "customer left"}}
    )
    after_cancel = await idram.precheck(bill)

    assert (unknown.status_code, unknown.text) == (404, "refused: UNKNOWN_BILL")
    assert foreign.status_code == 400 and foreign.text != "OK"
    assert open_before.text == "OK"
    assert cancelled["cancelPaymentRequest"]["paymentRequest"]["status"] == "CANCELLED"
    assert (after_cancel.status_code, after_cancel.text) == (409, "refused: NOT_OPEN")


async def test_the_precheck_refuses_an_expired_bill(
    api: Api, client: httpx.AsyncClient, idram: FakeIdram, db: asyncpg.Connection
) -> None:
    _, link, bill = await _open_bill(api, client, idram)
    _, request_id = ids.from_global_id(link["id"])
    await db.execute(
        "UPDATE payment_requests SET expires_at = now() - interval '1 second' WHERE id = $1",
        request_id,
    )

    asked, confirmed = await idram.pay(bill)

    assert (asked is not None) and (asked.status_code, asked.text) == (409, "refused: NOT_OPEN")
    assert confirmed is None
    assert (await client.get(link["paymentUrl"])).status_code == 410


async def test_an_unknown_bill_confirmed_anyway_records_nothing(
    api: Api, client: httpx.AsyncClient, idram: FakeIdram, db: asyncpg.Connection
) -> None:
    bill = "11111111-2222-3333-4444-555555555555"
    _, answer = await idram.pay(bill, amount="15000.00", skip_precheck=True)

    assert answer is not None and answer.status_code == 200
    assert (
        await db.fetchval(
            "SELECT count(*) FROM payments WHERE provider_reference = $1",
            idram.sent[-1]["EDP_TRANS_ID"],
        )
        == 0
    )
    kept = await db.fetchrow(
        "SELECT status, error FROM provider_callbacks WHERE provider = 'idram' AND event_id = $1",
        idram.sent[-1]["EDP_TRANS_ID"],
    )
    assert tuple(kept) == ("PROCESSED", "no payment request has this order")


async def test_a_refund_is_recorded_by_hand_with_the_operators_reference(
    api: Api, client: httpx.AsyncClient, idram: FakeIdram
) -> None:
    booking_id, _, bill = await _open_bill(api, client, idram)
    await idram.pay(bill)
    requested = (
        await api.data(
            REQUEST_REFUND,
            {"input": {"bookingId": booking_id, "amount": "5000.00", "reason": "tooth fairy"}},
        )
    )["requestRefund"]
    accountant = api.as_role(Role.ACCOUNTANT, sub="anna@accounts")
    refund_id = requested["refund"]["id"]

    early = (await accountant.data(RECORD_MANUAL, {"id": refund_id, "ref": "IDR-1"}))[
        "recordManualRefund"
    ]
    failed = (await accountant.data(APPROVE_REFUND, {"id": refund_id}))["approveRefund"]
    by_operator = (await api.data(RECORD_MANUAL, {"id": refund_id, "ref": "IDR-778"}))[
        "recordManualRefund"
    ]
    blank = (await accountant.data(RECORD_MANUAL, {"id": refund_id, "ref": "  "}))[
        "recordManualRefund"
    ]
    recorded = (await accountant.data(RECORD_MANUAL, {"id": refund_id, "ref": " IDR-778 "}))[
        "recordManualRefund"
    ]
    twice = (await accountant.data(RECORD_MANUAL, {"id": refund_id, "ref": "IDR-779"}))[
        "recordManualRefund"
    ]

    assert [e["code"] for e in early["errors"]] == ["REFUND_NOT_MANUAL"]
    assert (failed["refund"]["status"], failed["refund"]["failure"]) == (
        "FAILED",
        "MANUAL_REFUND_REQUIRED",
    )
    assert [e["code"] for e in by_operator["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in blank["errors"]] == ["REFERENCE_REQUIRED"]
    assert recorded["errors"] == []
    assert recorded["refund"]["status"] == "SUCCEEDED"
    assert recorded["refund"]["providerRefundReference"] == "IDR-778"
    assert recorded["refund"]["failure"] is None
    assert [e["code"] for e in twice["errors"]] == ["REFUND_NOT_MANUAL"]
    after = await _booking(api, booking_id)
    assert after["amountRefunded"]["amount"] == "5000.00"
    succeeded = [
        json.loads(e["node"]["data"]) | {"actor": e["node"]["actor"]}
        for e in after["timeline"]["edges"]
        if e["node"]["type"] == "REFUND_SUCCEEDED"
    ]
    assert [(e["actor"], e["manual"], e["operatorReference"]) for e in succeeded] == [
        ("anna@accounts", True, "IDR-778")
    ]


async def test_a_lost_confirmation_reaches_the_books_through_idrams_report(
    api: Api, client: httpx.AsyncClient, idram: FakeIdram, db: asyncpg.Connection
) -> None:
    # Given a customer who paid, but whose confirmation never reached us (Idram does not retry)
    booking_id, link, bill = await _open_bill(api, client, idram)
    asked = await idram.precheck(bill)
    now = clock.now().astimezone(clock.BUSINESS_ZONE).isoformat(timespec="seconds")
    report = f"{HEADER}{now},PAYMENT,{bill},IDR-TX-42,15000.00,AMD\n".encode()

    # When an accountant imports Idram's report of the day
    imported = await upload(api.as_role(Role.ACCOUNTANT), report, provider="idram")

    # Then the money goes through the one door, from the report line
    assert asked.text == "OK"
    assert imported["errors"] == []
    assert await _payments(db, link) == [(15000, "VERIFIED", None, "PROVIDER_REPORT", "IDR-TX-42")]
    after = await _booking(api, booking_id)
    assert after["amountPaid"]["amount"] == "15000.00"
    assert after["paymentRequests"][0]["status"] == "PAID"
    # the difference stays on record for a person (its task keeps the booking under review)
    assert [e["kind"] for e in imported["reconciliation"]["exceptions"]] == ["MISSING_HERE"]
