"""One door for gateway facts: money counts only when the link was live at capture time, the
booking open and the amount what was owed; anything else is HELD with a reason and one task.
Price changes withdraw open links; the database refuses links asking more than is owed and
counted money that differs from verified payments.

Each test pays through the real sandbox page and reads both sides back: our rows and the
sandbox's own orders table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from payable.payments import workers
from tests.api import Api
from tests.money.factories import (
    CANCEL,
    DISCOUNT,
    PARTICIPANTS,
    booking,
    clinic,
    event_data,
    events,
    expire_here,
    link_for,
    local,
    local_order,
    pay,
    payments,
    request_status,
    sandbox_order,
    signed_callback,
    tasks,
    tour,
)
from tests.payments.factories import REFRESH

AMD = "AMD"


@pytest.fixture
def drop_callbacks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The customer pays, the sandbox's own callback is lost: each door is tried on its own."""
    monkeypatch.setattr(app.state.settings, "sandbox_callback", "drop")


async def _through(door: str, api: Api, client: httpx.AsyncClient, link: dict[str, Any]) -> None:
    providers, database = api.app.state.providers, api.app.state.db
    if door == "callback":
        assert (await signed_callback(client, link["providerOrderId"])).status_code == 200
    elif door == "refresh":
        payload = (await api.data(REFRESH, {"id": link["id"]}))["refreshPaymentStatus"]
        assert payload["errors"] == []
    elif door == "return_page":
        assert (await client.get(f"/payments/return/{local(link['id'])}")).status_code == 200
    elif door == "poller":
        await _rounds(api, link, lambda: workers.poll_pending(database, providers, older_than=_NOW))
    else:
        await _rounds(api, link, lambda: workers.sweep_expired(database, providers))


_NOW = timedelta(0)


async def _rounds(api: Api, link: dict[str, Any], round: Callable[[], Awaitable[int]]) -> None:
    """Worker rounds until ours was looked at: a round takes a batch, oldest links first, and
    other tests may have left pending links behind in the shared database."""
    for _ in range(20):
        await round()
        async with api.app.state.db.session() as session:
            checked = await session.scalar(
                text("SELECT checked_at IS NOT NULL FROM payment_requests WHERE id = :id"),
                {"id": local(link["id"])},
            )
        if checked:
            return
    pytest.fail("the worker never reached the link")


# --- Late by the clock ------------------------------------------------------------------------


@pytest.mark.usefixtures("drop_callbacks")
@pytest.mark.parametrize("door", ["callback", "refresh", "return_page", "poller", "sweeper"])
async def test_money_captured_after_the_expiry_is_held_late_through_every_door(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, door: str
) -> None:
    """A link past its expiresAt (the sweeper never ran) is paid at the sandbox: whichever door
    hears of it, the money is HELD LATE_PAYMENT with one open task, counted nowhere.

    Fails before: the link was still PENDING, so the money counted as VERIFIED (amountPaid
    15000.00) and no task was raised; `amountHeld`/`heldReason` did not exist.
    """
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    await expire_here(db, link["id"])
    await pay(client, link)
    assert await payments(db, booking_id) == []  # the callback was lost: nothing known yet

    await _through(door, api, client, link)

    assert await payments(db, booking_id) == [("HELD", "LATE_PAYMENT", Decimal("15000.00"))]
    assert await tasks(db, booking_id) == [("LATE_PAYMENT", "OPEN", None)]
    assert await request_status(db, link["id"]) == "MANUAL_REVIEW"
    after = await booking(api, booking_id)
    assert after["amountPaid"] == {"amount": "0.00", "currency": AMD}
    assert after["amountHeld"] == {"amount": "15000.00", "currency": AMD}
    assert after["status"] == "AWAITING_PAYMENT"
    assert after["schedule"][0]["amountPaid"] == {"amount": "0.00"}
    [held] = events(after, "PAYMENT_HELD")
    data = event_data(held)
    assert (held["actor"], held["reason"]) == ("system", "LATE_PAYMENT")
    assert data["heldReason"] == "LATE_PAYMENT"
    assert data["received"] == {"amount": "15000.00", "currency": AMD}
    assert data["requestStatus"] == "PENDING"
    assert events(after, "PAYMENT_VERIFIED") == []
    order = await sandbox_order(db, link["providerOrderId"])
    assert (order["state"], order["captured"]) == ("PAID", Decimal("15000.00"))


@pytest.mark.usefixtures("drop_callbacks")
async def test_money_captured_before_the_expiry_counts_when_the_sweeper_finds_it_later(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Captured 10 minutes ago on a link that expired 5 minutes ago, the callback lost: the
    sweeper asks the gateway, and the capture time (not the sweep time) decides: VERIFIED.

    Fails before: the gateway's capture time was not kept (no `sandbox_orders.captured_at`,
    no `payments.captured_at`), so nothing could tell in-time money from late money.
    """
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    await pay(client, link)
    await db.execute(
        "UPDATE sandbox_orders SET captured_at = now() - interval '10 minutes' WHERE id = $1",
        local_order(link),
    )
    await db.execute(
        "UPDATE payment_requests SET expires_at = now() - interval '5 minutes' WHERE id = $1",
        local(link["id"]),
    )

    await _rounds(
        api, link, lambda: workers.sweep_expired(api.app.state.db, api.app.state.providers)
    )

    assert await payments(db, booking_id) == [("VERIFIED", None, Decimal("15000.00"))]
    captured = await db.fetchval(
        "SELECT p.captured_at = o.captured_at FROM payments p"
        " JOIN payment_requests r ON r.id = p.payment_request_id"
        " JOIN sandbox_orders o ON o.id::text = r.provider_order_id WHERE p.booking_id = $1",
        local(booking_id),
    )
    assert captured is True
    assert await tasks(db, booking_id) == []
    assert await request_status(db, link["id"]) == "PAID"
    after = await booking(api, booking_id)
    assert after["amountPaid"]["amount"] == "15000.00"
    assert after["amountHeld"]["amount"] == "0.00"
    assert after["status"] == "CONFIRMED"
    assert [p["state"] for p in after["payments"]] == ["VERIFIED"]


# --- Not what was owed, or not open ---------------------------------------------------------


@pytest.mark.parametrize(
    ("captured", "reason", "task"),
    [
        ("14000.00", "AMOUNT_MISMATCH", "AMOUNT_MISMATCH"),
        ("16000.00", "OVERPAYMENT", "AMOUNT_MISMATCH"),
    ],
)
async def test_a_different_amount_is_held_with_its_reason(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    captured: str,
    reason: str,
    task: str,
) -> None:
    """The sandbox captures another amount than the link asked: HELD with why, counted nowhere.

    Fails before: such money was MANUAL_REVIEW without a reason; less and more were the same
    case (no OVERPAYMENT), and `heldReason`/`amountHeld` did not exist.
    """
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    await db.execute(
        "UPDATE sandbox_orders SET amount = $2 WHERE id = $1", local_order(link), Decimal(captured)
    )

    await pay(client, link)

    assert await payments(db, booking_id) == [("HELD", reason, Decimal(captured))]
    assert await tasks(db, booking_id) == [(task, "OPEN", None)]
    after = await booking(api, booking_id)
    assert after["amountPaid"]["amount"] == "0.00"
    assert after["amountHeld"]["amount"] == captured
    data = event_data(events(after, "PAYMENT_HELD")[0])
    assert data["requested"] == {"amount": "15000.00", "currency": AMD}
    assert data["received"] == {"amount": captured, "currency": AMD}
    order = await sandbox_order(db, link["providerOrderId"])
    assert order["captured"] == Decimal(captured)


async def test_money_for_a_cancelled_booking_is_held_booking_closed(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """The booking is cancelled while its page is open; the customer pays anyway: HELD
    BOOKING_CLOSED, the money on record and counted nowhere.

    Fails before: MANUAL_REVIEW with no reason recorded (`held_reason` did not exist).
    """
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    cancelled = (
        await api.data(
            CANCEL,
            {
                "input": {
                    "bookingId": booking_id,
                    "reason": "customer left",
                    "cause": "CUSTOMER_REQUEST",
                }
            },
        )
    )["cancelBooking"]
    assert cancelled["errors"] == []

    await pay(client, link)

    assert await payments(db, booking_id) == [("HELD", "BOOKING_CLOSED", Decimal("15000.00"))]
    assert [t[:2] for t in await tasks(db, booking_id)] == [("LATE_PAYMENT", "OPEN")]
    after = await booking(api, booking_id)
    assert after["status"] == "CANCELLED"
    assert (after["amountPaid"]["amount"], after["amountHeld"]["amount"]) == ("0.00", "15000.00")
    assert after["payments"][0]["heldReason"] == "BOOKING_CLOSED"


# --- Price changes withdraw open links --------------------------------------------------------


async def test_a_discount_withdraws_the_open_link_and_the_worker_reverses_its_order(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """A 3000 discount on a booking with an open 15000 link: the link is CANCELLED in the same
    transaction (PAYMENT_REQUEST_WITHDRAWN, asked 15000 / owed 12000), the worker reverses the
    sandbox order, and a new link asks 12000.

    Fails before: the link stayed PENDING asking 15000 for 12000 owed; paying it overpaid.
    """
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)

    discounted = (
        await api.data(
            DISCOUNT, {"input": {"bookingId": booking_id, "amount": "3000.00", "reason": "loyal"}}
        )
    )["applyDiscount"]

    assert discounted["errors"] == []
    assert discounted["booking"]["price"] == {"amount": "12000.00"}
    row = await db.fetchrow(
        "SELECT status, reverse_pending FROM payment_requests WHERE id = $1", local(link["id"])
    )
    assert (row["status"], row["reverse_pending"]) == ("CANCELLED", True)
    after = await booking(api, booking_id)
    [withdrawn] = events(after, "PAYMENT_REQUEST_WITHDRAWN")
    data = event_data(withdrawn)
    assert data["asked"] == {"amount": "15000.00", "currency": AMD}
    assert data["owed"] == {"amount": "12000.00", "currency": AMD}
    assert data["status"] == {"old": "PENDING", "new": "CANCELLED"}
    assert data["paymentRequestId"] == str(local(link["id"]))
    assert withdrawn["actor"] == api.sub
    assert (await sandbox_order(db, link["providerOrderId"]))["state"] == "CREATED"

    assert await workers.cancel_withdrawn(api.app.state.db, api.app.state.providers) >= 1

    assert (await sandbox_order(db, link["providerOrderId"]))["state"] == "REVERSED"
    assert (
        await db.fetchval(
            "SELECT reverse_pending FROM payment_requests WHERE id = $1", local(link["id"])
        )
        is False
    )
    fresh = await link_for(api, booking_id)
    assert fresh["id"] != link["id"]
    assert fresh["amount"] == {"amount": "12000.00", "currency": AMD}


async def test_money_paid_on_a_withdrawn_link_before_the_worker_ran_is_held(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """The discount withdrew the link, but the customer paid its still-open page first: HELD
    LINK_WITHDRAWN for the full 15000; the worker then finds the order paid and leaves it.

    Fails before: the link was never withdrawn, so 15000 counted against 12000 owed
    (silently overpaid, no task).
    """
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    discounted = (
        await api.data(
            DISCOUNT, {"input": {"bookingId": booking_id, "amount": "3000.00", "reason": "promo"}}
        )
    )["applyDiscount"]
    assert discounted["errors"] == []

    await pay(client, link)
    await workers.cancel_withdrawn(api.app.state.db, api.app.state.providers)

    assert await payments(db, booking_id) == [("HELD", "LINK_WITHDRAWN", Decimal("15000.00"))]
    assert [t[:2] for t in await tasks(db, booking_id)] == [("LATE_PAYMENT", "OPEN")]
    after = await booking(api, booking_id)
    assert (after["amountPaid"]["amount"], after["amountHeld"]["amount"]) == ("0.00", "15000.00")
    order = await sandbox_order(db, link["providerOrderId"])
    assert (order["state"], order["captured"]) == ("PAID", Decimal("15000.00"))
    reverse_pending = await db.fetchval(
        "SELECT reverse_pending FROM payment_requests WHERE id = $1", local(link["id"])
    )
    assert reverse_pending is False


async def test_fewer_tour_participants_withdraw_the_open_link(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Two travellers become one: the 120000 link is withdrawn (owed 60000) and money still
    paid on it is held, never counted.

    Fails before: the link kept asking 120000 for 60000 owed, and paying it counted 120000.
    """
    booking_id = await tour(api)
    link = await link_for(api, booking_id)

    adjusted = (
        await api.data(
            PARTICIPANTS,
            {"input": {"bookingId": booking_id, "participantCount": 1, "reason": "one ill"}},
        )
    )["adjustTourParticipants"]

    assert adjusted["errors"] == []
    assert adjusted["booking"]["price"] == {"amount": "60000.00"}
    assert await request_status(db, link["id"]) == "CANCELLED"
    data = event_data(events(await booking(api, booking_id), "PAYMENT_REQUEST_WITHDRAWN")[0])
    assert (data["asked"]["amount"], data["owed"]["amount"]) == ("120000.00", "60000.00")

    await pay(client, link)

    assert await payments(db, booking_id) == [("HELD", "LINK_WITHDRAWN", Decimal("120000.00"))]
    after = await booking(api, booking_id)
    assert (after["amountPaid"]["amount"], after["amountHeld"]["amount"]) == ("0.00", "120000.00")


# --- The database's own guards ----------------------------------------------------------------


async def test_the_database_refuses_an_open_link_asking_more_than_is_owed(
    api: Api, db: asyncpg.Connection
) -> None:
    """Raw SQL behind the app's back: a PENDING link asking more than its installment owes is
    refused at commit (ck_payment_requests_within_owed), either way round.

    Fails before: no such guard; both updates committed.
    """
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)

    with pytest.raises(asyncpg.CheckViolationError) as raised:
        await db.execute(
            "UPDATE payment_requests SET amount = amount + 1 WHERE id = $1", local(link["id"])
        )
    assert raised.value.constraint_name == "ck_payment_requests_within_owed"
    with pytest.raises(asyncpg.CheckViolationError) as lowered:
        await db.execute(
            "UPDATE installments SET amount_due = amount_due - 1 WHERE booking_id = $1",
            local(booking_id),
        )
    assert lowered.value.constraint_name == "ck_payment_requests_within_owed"
    row = await db.fetchrow(
        "SELECT r.amount, i.amount_due FROM payment_requests r"
        " JOIN installments i ON i.id = r.installment_id WHERE r.id = $1",
        local(link["id"]),
    )
    assert (row["amount"], row["amount_due"]) == (Decimal("15000.00"), Decimal("15000.00"))


async def test_the_database_refuses_counted_money_that_differs_from_verified_payments(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """A paid booking: counting one more unit, or un-verifying its payment without un-counting
    it, is refused at commit (ck_bookings_counted_money).

    Fails before: no such guard; the books could say 15001 paid with 15000 verified.
    """
    booking_id = await clinic(api)
    await pay(client, await link_for(api, booking_id))
    assert await payments(db, booking_id) == [("VERIFIED", None, Decimal("15000.00"))]

    with pytest.raises(asyncpg.CheckViolationError) as counted:
        await db.execute(
            "UPDATE bookings SET amount_paid = amount_paid + 1 WHERE id = $1", local(booking_id)
        )
    assert counted.value.constraint_name == "ck_bookings_counted_money"
    with pytest.raises(asyncpg.CheckViolationError) as held:
        await db.execute(
            "UPDATE payments SET state = 'HELD', held_reason = 'UNCLEAR' WHERE booking_id = $1",
            local(booking_id),
        )
    assert held.value.constraint_name == "ck_bookings_counted_money"
    assert await payments(db, booking_id) == [("VERIFIED", None, Decimal("15000.00"))]
    paid = await db.fetchval("SELECT amount_paid FROM bookings WHERE id = $1", local(booking_id))
    assert paid == Decimal("15000.00")
