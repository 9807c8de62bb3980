"""The sandbox's hosted page as a tester drives it: other amounts, expired orders, late money.

Like test card numbers, form fields make the sandbox do what banks do: ``amount`` captures
another amount, ``late=1`` accepts payment although the order expired; without it an expired
order refuses payment as a real bank page would.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from payable.core import clock, ids
from tests.api import Api
from tests.payments.factories import REFRESH, booking, request_link
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input


async def _link(api: Api, **extra: Any) -> tuple[str, dict[str, Any]]:
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})  # 15000.00 AMD
    booking_id = created["createClinicAppointment"]["booking"]["id"]
    return booking_id, await request_link(api, booking_id, **extra)


def _order_id(link: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(link["providerOrderId"])


async def _sandbox_books(db: asyncpg.Connection, link: dict[str, Any]) -> tuple[Any, ...]:
    """The sandbox's side: order state, what it captured, and its ledger lines."""
    order = await db.fetchrow(
        "SELECT state, captured FROM sandbox_orders WHERE id = $1", _order_id(link)
    )
    ledger = await db.fetch(
        "SELECT operation, amount, currency FROM sandbox_operations WHERE order_id = $1",
        _order_id(link),
    )
    return order["state"], str(order["captured"]), [tuple(r) for r in ledger]


async def _payments(db: asyncpg.Connection, booking_id: str) -> list[tuple[str, str]]:
    _, local = ids.from_global_id(booking_id)
    rows = await db.fetch("SELECT state, amount FROM payments WHERE booking_id = $1", local)
    return [(r["state"], str(r["amount"])) for r in rows]


async def _expire_order(db: asyncpg.Connection, link: dict[str, Any]) -> None:
    await db.execute(
        "UPDATE sandbox_orders SET expires_at = now() - interval '1 minute' WHERE id = $1",
        _order_id(link),
    )


async def test_the_page_says_it_is_test_money(api: Api, client: httpx.AsyncClient) -> None:
    _, link = await _link(api)

    page = await client.get(link["paymentUrl"])

    assert page.status_code == 200
    assert "<strong>TEST PAYMENT</strong>: sandbox gateway, no real money moves." in page.text
    assert 'name="amount"' in page.text and 'name="late" value="1"' in page.text
    assert "This payment page expired" not in page.text


async def test_a_link_may_live_seven_days_on_the_sandbox(api: Api) -> None:
    """The sandbox's page has no session limit of its own: the 7-day maximum stays."""
    before = clock.now()

    _, link = await _link(api, expiresInMinutes=7 * 24 * 60)

    lifetime = datetime.fromisoformat(link["expiresAt"]) - before
    assert timedelta(days=7) - timedelta(seconds=5) <= lifetime <= timedelta(days=7, seconds=30)


async def test_the_bank_captures_the_amount_the_tester_gives(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # Given a link for 15000.00 AMD
    booking_id, link = await _link(api)

    # When the tester approves with amount=10000.50
    answer = await client.post(
        link["paymentUrl"], data={"outcome": "approve", "amount": "10000.50"}
    )

    # Then the sandbox captured and booked 10000.50, and the app holds the short money for review
    assert answer.status_code == 303
    assert await _sandbox_books(db, link) == (
        "PAID",
        "10000.50",
        [("PAYMENT", 10000.50, "AMD")],
    )
    assert await _payments(db, booking_id) == [("HELD", "10000.50")]
    assert (await booking(api, booking_id))["amountPaid"]["amount"] == "0.00"


@pytest.mark.parametrize("amount", ["abc", "0", "-5.00", "10.001", "NaN", "1e400"])
async def test_an_unreadable_amount_is_refused_and_captures_nothing(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, amount: str
) -> None:
    booking_id, link = await _link(api)

    answer = await client.post(link["paymentUrl"], data={"outcome": "approve", "amount": amount})

    assert answer.status_code == 400 and answer.text.startswith("<h1>amount: ")
    assert await _sandbox_books(db, link) == ("CREATED", "0.00", [])
    assert await _payments(db, booking_id) == []


async def test_an_expired_order_refuses_payment(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # Given a sandbox order past its expiry
    booking_id, link = await _link(api)
    await _expire_order(db, link)

    # When the customer opens the page and approves anyway
    page = await client.get(link["paymentUrl"])
    answer = await client.post(link["paymentUrl"], data={"outcome": "approve"})

    # Then the page says it expired, the payment is refused and nothing is captured
    assert "This payment page expired at" in page.text
    assert answer.status_code == 410 and "a bank refuses payment now" in answer.text
    assert await _sandbox_books(db, link) == ("CREATED", "0.00", [])
    assert await _payments(db, booking_id) == []


async def test_late_money_is_accepted_with_late_and_held_for_review(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # Given a link that expired (the app saw it) and whose sandbox order expired too
    booking_id, link = await _link(api)
    _, request_id = ids.from_global_id(link["id"])
    await db.execute(
        "UPDATE payment_requests SET expires_at = now() - interval '1 minute' WHERE id = $1",
        request_id,
    )
    await _expire_order(db, link)
    refreshed = (await api.data(REFRESH, {"id": link["id"]}))["refreshPaymentStatus"]
    assert refreshed["paymentRequest"]["status"] == "EXPIRED"

    # When the bank accepts the payment late (late=1)
    answer = await client.post(link["paymentUrl"], data={"outcome": "approve", "late": "1"})

    # Then it captured the whole amount, and the app holds the late money for review
    assert answer.status_code == 303
    assert await _sandbox_books(db, link) == (
        "PAID",
        "15000.00",
        [("PAYMENT", 15000, "AMD")],
    )
    assert await _payments(db, booking_id) == [("HELD", "15000.00")]
    tasks = await db.fetch(
        "SELECT kind FROM review_tasks WHERE booking_id = $1",
        ids.from_global_id(booking_id)[1],
    )
    assert [t["kind"] for t in tasks] == ["LATE_PAYMENT"]
