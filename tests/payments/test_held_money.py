"""Held money is decided by people: accepted (counted toward the schedule) or returned (a
refund of the whole amount at the gateway). Resolving its task moves nothing, and while it is
held no new link opens for its installment.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from payable.core.principal import Role
from tests.api import Api
from tests.money.factories import (
    ACCEPT_HELD,
    APPROVE_REFUND,
    DISCOUNT,
    REQUEST_REFUND,
    RESOLVE_TASK,
    RETURN_HELD,
    audit,
    booking,
    clinic,
    codes,
    create_link,
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
    sandbox_refunds,
    tasks,
)

TASKS = """query { tasks(status: "OPEN") { id kind status } }"""


async def _held_late(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> tuple[str, dict[str, Any], str]:
    """A 15000 appointment whose link expired by the clock before the customer paid it."""
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    await expire_here(db, link["id"])
    await pay(client, link)
    node = await booking(api, booking_id)
    [payment] = node["payments"]
    assert (payment["state"], payment["heldReason"]) == ("HELD", "LATE_PAYMENT")
    return booking_id, link, payment["id"]


def _decision(reason: str, payment_id: str) -> dict[str, Any]:
    return {"input": {"paymentId": payment_id, "reason": reason}}


@pytest.fixture
def accountant(api: Api) -> Api:
    return api.as_role(Role.ACCOUNTANT, sub="anna@accounts")


async def test_accepting_held_money_counts_it_and_closes_its_task(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """acceptHeldPayment: HELD -> VERIFIED, allocated to the schedule, the booking confirmed, an
    event with old and new state, the task resolved by the accountant.

    Fails before: there was no way to accept held money (no `acceptHeldPayment`); it stayed
    MANUAL_REVIEW forever.
    """
    booking_id, link, payment_id = await _held_late(api, client, db)

    accepted = (
        await accountant.data(ACCEPT_HELD, _decision("paid a minute late, fine", payment_id))
    )["acceptHeldPayment"]

    assert accepted["errors"] == []
    assert accepted["payment"] == {
        "id": payment_id,
        "state": "VERIFIED",
        "heldReason": "LATE_PAYMENT",  # kept after the decision
        "amount": {"amount": "15000.00"},
    }
    assert await payments(db, booking_id) == [("VERIFIED", "LATE_PAYMENT", Decimal("15000.00"))]
    assert await tasks(db, booking_id) == [("LATE_PAYMENT", "RESOLVED", "anna@accounts")]
    assert await request_status(db, link["id"]) == "PAID"
    after = await booking(api, booking_id)
    assert after["amountPaid"] == {"amount": "15000.00", "currency": "AMD"}
    assert after["amountHeld"] == {"amount": "0.00", "currency": "AMD"}
    assert after["balanceDue"] == {"amount": "0.00"}
    assert after["status"] == "CONFIRMED"
    assert after["paymentStatus"] == "PAID"
    assert after["schedule"][0]["amountPaid"] == {"amount": "15000.00"}
    [event] = events(after, "HELD_PAYMENT_ACCEPTED")
    data = event_data(event)
    assert (event["actor"], event["reason"]) == ("anna@accounts", "paid a minute late, fine")
    assert data["state"] == {"old": "HELD", "new": "VERIFIED"}
    assert data["paymentRequestStatus"] == {"old": "MANUAL_REVIEW", "new": "PAID"}
    assert data["bookingStatus"] == {"old": "AWAITING_PAYMENT", "new": "CONFIRMED"}
    assert data["allocation"] == {"1": "15000.00"}
    assert data["amount"] == {"amount": "15000.00", "currency": "AMD"}
    again = (await accountant.data(ACCEPT_HELD, _decision("twice", payment_id)))[
        "acceptHeldPayment"
    ]
    assert codes(again) == ["PAYMENT_NOT_HELD"]
    assert (await booking(api, booking_id))["amountPaid"]["amount"] == "15000.00"


async def test_accepted_overpayment_shows_the_excess_as_refundable(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """16000 captured for 15000 owed is held OVERPAYMENT; accepted, it counts 16000 and the
    1000 beyond the price can be refunded at the gateway.

    Fails before: no acceptHeldPayment; the 16000 was MANUAL_REVIEW and nothing was refundable.
    """
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    await db.execute("UPDATE sandbox_orders SET amount = 16000 WHERE id = $1", local_order(link))
    await pay(client, link)
    [(state, reason, amount)] = await payments(db, booking_id)
    assert (state, reason, amount) == ("HELD", "OVERPAYMENT", Decimal("16000.00"))
    payment_id = (await booking(api, booking_id))["payments"][0]["id"]

    accepted = (await accountant.data(ACCEPT_HELD, _decision("keep, refund extra", payment_id)))[
        "acceptHeldPayment"
    ]

    assert accepted["errors"] == []
    after = await booking(api, booking_id)
    assert (after["price"]["amount"], after["amountPaid"]["amount"]) == ("15000.00", "16000.00")
    assert after["schedule"][0]["amountPaid"] == {"amount": "16000.00"}
    assert after["balanceDue"] == {"amount": "0.00"}
    asked = (
        await api.data(
            REQUEST_REFUND,
            {"input": {"bookingId": booking_id, "amount": "1000.00", "reason": "overpaid"}},
        )
    )["requestRefund"]
    assert asked["errors"] == []
    approved = (await accountant.data(APPROVE_REFUND, {"id": asked["refund"]["id"]}))[
        "approveRefund"
    ]
    assert approved["refund"]["status"] == "SUCCEEDED"
    assert (await booking(api, booking_id))["amountRefunded"] == {"amount": "1000.00"}
    assert await sandbox_refunds(db, link["providerOrderId"]) == [Decimal("1000.00")]
    assert (await sandbox_order(db, link["providerOrderId"]))["refunded"] == Decimal("1000.00")


async def test_returning_held_money_refunds_it_whole_and_counts_nothing(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """returnHeldPayment: one refund of the whole 15000 SUCCEEDED at the sandbox, the payment
    RETURNED, amountRefunded and amountPaid untouched (it never counted), the task resolved; the
    installment can then be asked for again.

    Fails before: held money could not be returned (no `returnHeldPayment`; requestRefund
    only sees verified money).
    """
    booking_id, link, payment_id = await _held_late(api, client, db)

    returned = (await accountant.data(RETURN_HELD, _decision("too late, sent back", payment_id)))[
        "returnHeldPayment"
    ]

    assert returned["errors"] == []
    refund = returned["refund"]
    assert refund["status"] == "SUCCEEDED"
    assert refund["amount"] == {"amount": "15000.00", "currency": "AMD"}
    assert refund["payment"] == {"id": payment_id}
    assert (refund["requestedBy"], refund["approvedBy"]) == ("anna@accounts", "anna@accounts")
    assert [r["id"] for r in returned["refunds"]] == [refund["id"]]
    assert await sandbox_refunds(db, link["providerOrderId"]) == [Decimal("15000.00")]
    order = await sandbox_order(db, link["providerOrderId"])
    assert (order["captured"], order["refunded"]) == (Decimal("15000.00"), Decimal("15000.00"))
    assert await payments(db, booking_id) == [("RETURNED", "LATE_PAYMENT", Decimal("15000.00"))]
    assert [t[:2] for t in await tasks(db, booking_id)] == [("LATE_PAYMENT", "RESOLVED")]
    after = await booking(api, booking_id)
    assert after["amountPaid"]["amount"] == "0.00"
    assert after["amountHeld"]["amount"] == "0.00"
    assert after["amountRefunded"] == {"amount": "0.00"}  # held money never counted
    assert after["status"] == "AWAITING_PAYMENT"
    [back] = events(after, "HELD_PAYMENT_RETURNED")
    assert event_data(back)["state"] == {"old": "HELD", "new": "RETURNED"}
    assert back["reason"] == "too late, sent back"
    fresh = await link_for(api, booking_id)
    assert fresh["amount"] == {"amount": "15000.00", "currency": "AMD"}
    assert fresh["id"] != link["id"]


async def test_resolving_the_task_of_held_money_is_refused_and_moves_nothing(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """resolveTask on held money's task: HELD_PAYMENT_UNDECIDED; task OPEN, payment HELD.

    Fails before: resolving closed the task and left the money MANUAL_REVIEW, uncounted and
    unreturned, with nothing left to remind anyone.
    """
    booking_id, _, _ = await _held_late(api, client, db)
    [task] = [t for t in (await accountant.data(TASKS))["tasks"] if t["kind"] == "LATE_PAYMENT"]

    answer = (
        await accountant.data(
            RESOLVE_TASK, {"input": {"taskId": task["id"], "resolution": "looked at it"}}
        )
    )["resolveTask"]

    assert [(e["code"], e["field"]) for e in answer["errors"]] == [
        ("HELD_PAYMENT_UNDECIDED", "taskId")
    ]
    assert await tasks(db, booking_id) == [("LATE_PAYMENT", "OPEN", None)]
    assert await payments(db, booking_id) == [("HELD", "LATE_PAYMENT", Decimal("15000.00"))]
    assert (await booking(api, booking_id))["amountHeld"]["amount"] == "15000.00"


async def test_no_new_link_opens_while_money_for_the_installment_is_held(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """createPaymentRequest for an installment with held money: HELD_PAYMENT_UNDECIDED, and no
    link or gateway order is created (else the customer could pay twice).

    Fails before: a fresh 15000 link opened next to the held 15000.
    """
    booking_id, _, _ = await _held_late(api, client, db)
    links_before = await db.fetchval(
        "SELECT count(*) FROM payment_requests WHERE booking_id = $1", local(booking_id)
    )
    orders_before = await db.fetchval("SELECT count(*) FROM sandbox_orders")

    answer = await create_link(api, booking_id)

    assert answer["paymentRequest"] is None
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [
        ("HELD_PAYMENT_UNDECIDED", "installmentId")
    ]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM payment_requests WHERE booking_id = $1", local(booking_id)
        )
        == links_before
        == 1
    )
    assert await db.fetchval("SELECT count(*) FROM sandbox_orders") == orders_before


async def test_no_new_link_opens_while_a_withdrawn_links_outcome_is_unknown(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """A discount withdrew the open link; before its order is cancelled at the gateway, the
    gateway cannot say what became of it: createPaymentRequest is PAYMENT_OUTCOME_UNKNOWN and
    opens nothing. Once the gateway answers, the old order is reversed and a 12000 link opens.

    Fails before: the link was never withdrawn (a discount left it PENDING asking 15000), and
    no call checked a replaced link's fate at the gateway before opening another.
    """
    booking_id = await clinic(api)
    link = await link_for(api, booking_id)
    discounted = (
        await api.data(
            DISCOUNT, {"input": {"bookingId": booking_id, "amount": "3000.00", "reason": "promo"}}
        )
    )["applyDiscount"]
    assert discounted["errors"] == []
    real_order = link["providerOrderId"]
    # The gateway does not know the order we ask about: neither a reversal nor a lookup works.
    await db.execute(
        "UPDATE payment_requests SET provider_order_id = $2 WHERE id = $1",
        local(link["id"]),
        str(uuid.uuid4()),
    )
    orders_before = await db.fetchval("SELECT count(*) FROM sandbox_orders")

    refused = await create_link(api, booking_id)

    assert refused["paymentRequest"] is None
    assert codes(refused) == ["PAYMENT_OUTCOME_UNKNOWN"]
    assert await db.fetchval("SELECT count(*) FROM sandbox_orders") == orders_before
    row = await db.fetchrow(
        "SELECT status, reverse_pending FROM payment_requests WHERE id = $1", local(link["id"])
    )
    assert (row["status"], row["reverse_pending"]) == ("CANCELLED", True)

    await db.execute(
        "UPDATE payment_requests SET provider_order_id = $2 WHERE id = $1",
        local(link["id"]),
        real_order,
    )
    fresh = await link_for(api, booking_id)

    assert fresh["amount"] == {"amount": "12000.00", "currency": "AMD"}
    assert (await sandbox_order(db, real_order))["state"] == "REVERSED"
    assert (
        await db.fetchval(
            "SELECT reverse_pending FROM payment_requests WHERE id = $1", local(link["id"])
        )
        is False
    )


@pytest.mark.parametrize(
    ("role", "operation", "allowed"),
    [
        (Role.SUPPORT, "acceptHeldPayment", False),
        (Role.OPERATOR, "returnHeldPayment", False),
        (Role.ACCOUNTANT, "acceptHeldPayment", True),
        (Role.ACCOUNTANT, "returnHeldPayment", True),
    ],
)
async def test_who_may_decide_held_money(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    role: Role,
    operation: str,
    allowed: bool,
) -> None:
    """Support cannot accept, operators cannot return: FORBIDDEN with an audit row and nothing
    changed; accountants can do both.

    Fails before: neither mutation existed.
    """
    booking_id, link, payment_id = await _held_late(api, client, db)
    caller = api.as_role(role)
    document = ACCEPT_HELD if operation == "acceptHeldPayment" else RETURN_HELD

    answer = (await caller.data(document, _decision("decided", payment_id)))[operation]

    if allowed:
        assert answer["errors"] == []
        expected = "VERIFIED" if operation == "acceptHeldPayment" else "RETURNED"
        assert [p[0] for p in await payments(db, booking_id)] == [expected]
        assert await audit(db, api, operation) == []
    else:
        assert codes(answer) == ["FORBIDDEN"]
        assert await audit(db, api, operation) == [(caller.sub, role.value, "FORBIDDEN")]
        assert await payments(db, booking_id) == [("HELD", "LATE_PAYMENT", Decimal("15000.00"))]
        assert await tasks(db, booking_id) == [("LATE_PAYMENT", "OPEN", None)]
        assert await sandbox_refunds(db, link["providerOrderId"]) == []
        assert (
            await db.fetchval(
                "SELECT count(*) FROM refunds WHERE booking_id = $1", local(booking_id)
            )
            == 0
        )
