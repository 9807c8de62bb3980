"""Refunds: requested by staff, decided by accountants, executed at the sandbox gateway.

Every test pays a booking for real (link, hosted sandbox page, signed callback) and then
drives refunds through the GraphQL API; the database is read back with a raw connection.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from payable.core.ids import from_global_id, to_global_id
from payable.core.principal import Role
from tests.api import Api
from tests.conftest import _raw
from tests.payments.factories import pay_on_page, request_link
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

REQUEST_REFUND = """mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  errors { code field message }
  refund { id status amount { amount currency } reason requestedBy approvedBy
           providerRefundReference payment { id } } } }"""

APPROVE_REFUND = """mutation($id: ID!) { approveRefund(refundId: $id) {
  errors { code field message }
  refund { id status amount { amount } requestedBy approvedBy providerRefundReference } } }"""

REJECT_REFUND = """mutation($input: RejectRefundInput!) { rejectRefund(input: $input) {
  errors { code field message } refund { id status approvedBy } } }"""

BOOKING = """query($id: ID!) { node(id: $id) { ... on PayableBooking {
  id status paymentStatus amountPaid { amount } amountRefunded { amount currency }
  payments { id } refunds { id status amount { amount } }
  timeline(first: 100) { edges { node { type actor reason data } } } } } }"""


@dataclass(frozen=True)
class Paid:
    """A clinic appointment paid in full through the sandbox."""

    booking_id: str  # global id
    payment_id: str  # global id
    order_id: uuid.UUID  # the sandbox order behind the payment

    @property
    def booking_uuid(self) -> uuid.UUID:
        return from_global_id(self.booking_id)[1]

    @property
    def payment_uuid(self) -> uuid.UUID:
        return from_global_id(self.payment_id)[1]


async def create_clinic(api: Api, **overrides: Any) -> str:
    payload = (await api.data(CREATE_CLINIC, {"input": clinic_input(**overrides)}))[
        "createClinicAppointment"
    ]
    assert payload["errors"] == []
    return payload["booking"]["id"]


async def paid_booking(api: Api, client: httpx.AsyncClient, price: str = "15000.00") -> Paid:
    booking_id = await create_clinic(api, price={"amount": price, "currency": "AMD"})
    link = await request_link(api, booking_id)
    await pay_on_page(client, link["paymentUrl"])
    node = await booking(api, booking_id)
    assert node["paymentStatus"] == "PAID", node
    return Paid(booking_id, node["payments"][0]["id"], uuid.UUID(link["providerOrderId"]))


async def booking(api: Api, booking_id: str) -> dict[str, Any]:
    return (await api.data(BOOKING, {"id": booking_id}))["node"]


def events(node: dict[str, Any], *types: str) -> list[dict[str, Any]]:
    found = [edge["node"] for edge in node["timeline"]["edges"]]
    return [e for e in found if not types or e["type"] in types]


async def request_refund(
    api: Api, booking_id: str, amount: str, reason: str = "customer asked", **extra: Any
) -> dict[str, Any]:
    variables = {"input": {"bookingId": booking_id, "amount": amount, "reason": reason, **extra}}
    return (await api.data(REQUEST_REFUND, variables))["requestRefund"]


async def requested(api: Api, booking_id: str, amount: str) -> str:
    payload = await request_refund(api, booking_id, amount)
    assert payload["errors"] == [], payload["errors"]
    return payload["refund"]["id"]


async def approve(api: Api, refund_id: str) -> dict[str, Any]:
    return (await api.data(APPROVE_REFUND, {"id": refund_id}))["approveRefund"]


async def reject(api: Api, refund_id: str, reason: str) -> dict[str, Any]:
    variables = {"input": {"refundId": refund_id, "reason": reason}}
    return (await api.data(REJECT_REFUND, variables))["rejectRefund"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def sandbox_refunded(db: asyncpg.Connection, order_id: uuid.UUID) -> Decimal:
    return await db.fetchval("SELECT refunded FROM sandbox_orders WHERE id = $1", order_id)


async def refund_rows(db: asyncpg.Connection, booking: Paid) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT amount, status, failure FROM refunds WHERE booking_id = $1 ORDER BY created_at",
        booking.booking_uuid,
    )


async def event_count(db: asyncpg.Connection, booking: Paid) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM booking_events WHERE booking_id = $1", booking.booking_uuid
    )


@pytest.fixture
def accountant(api: Api) -> Api:
    return api.as_role(Role.ACCOUNTANT, sub="anna@accounts")


# --- The happy path -----------------------------------------------------------------------------


async def test_partial_refund_requested_then_approved_succeeds_at_the_gateway(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """Operator requests, accountant approves: SUCCEEDED, money back, booking status untouched."""
    paid = await paid_booking(api, client)
    operator = api.as_role(Role.OPERATOR, sub="olga@front")

    asked = await request_refund(operator, paid.booking_id, "4000.00", reason="goodwill")
    approved = await approve(accountant, asked["refund"]["id"])

    assert asked["errors"] == []
    assert asked["refund"]["status"] == "REQUESTED"
    assert asked["refund"]["amount"] == {"amount": "4000.00", "currency": "AMD"}
    assert asked["refund"]["requestedBy"] == "olga@front"
    assert asked["refund"]["approvedBy"] is None
    assert asked["refund"]["payment"] == {"id": paid.payment_id}
    assert approved["errors"] == []
    refund = approved["refund"]
    assert refund["status"] == "SUCCEEDED"
    assert refund["approvedBy"] == "anna@accounts"
    assert refund["providerRefundReference"].startswith("SBX-R-")
    after = await booking(api, paid.booking_id)
    assert after["amountRefunded"] == {"amount": "4000.00", "currency": "AMD"}
    assert after["amountPaid"] == {"amount": "15000.00"}
    assert after["status"] == "CONFIRMED"  # a refund never changes the booking status
    assert after["paymentStatus"] == "PAID"
    assert after["refunds"] == [
        {"id": refund["id"], "status": "SUCCEEDED", "amount": {"amount": "4000.00"}}
    ]
    trail = [
        (e["type"], e["actor"])
        for e in events(after, "REFUND_REQUESTED", "REFUND_APPROVED", "REFUND_SUCCEEDED")
    ]
    assert trail == [
        ("REFUND_REQUESTED", "olga@front"),
        ("REFUND_APPROVED", "anna@accounts"),
        ("REFUND_SUCCEEDED", "system"),
    ]
    assert events(after, "REFUND_REQUESTED")[0]["reason"] == "goodwill"
    assert await sandbox_refunded(db, paid.order_id) == Decimal("4000.00")


async def test_two_partial_refunds_add_up(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """Partial refunds accumulate on the booking and at the gateway, up to what was captured."""
    paid = await paid_booking(api, client)

    first = await approve(accountant, await requested(api, paid.booking_id, "4000.00"))
    second = await approve(accountant, await requested(api, paid.booking_id, "6000.00"))

    assert first["refund"]["status"] == second["refund"]["status"] == "SUCCEEDED"
    assert first["refund"]["providerRefundReference"] != second["refund"]["providerRefundReference"]
    after = await booking(api, paid.booking_id)
    assert after["amountRefunded"]["amount"] == "10000.00"
    assert after["status"] == "CONFIRMED"
    assert len(events(after, "REFUND_SUCCEEDED")) == 2
    assert await sandbox_refunded(db, paid.order_id) == Decimal("10000.00")
    # Exactly what is left can still be asked for.
    assert (await request_refund(api, paid.booking_id, "5000.00"))["errors"] == []


# --- Never more than was captured ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("already", "asked"), [(None, "15000.01"), ("10000.00", "5000.01"), ("15000.00", "0.01")]
)
async def test_a_request_above_what_is_left_is_refused_not_capped(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    accountant: Api,
    already: str | None,
    asked: str,
) -> None:
    """More than is left to refund: REFUND_EXCEEDS_REFUNDABLE on amount, and nothing written."""
    paid = await paid_booking(api, client)
    if already is not None:
        await approve(accountant, await requested(api, paid.booking_id, already))
    rows_before = await refund_rows(db, paid)
    events_before = await event_count(db, paid)

    refused = await request_refund(api, paid.booking_id, asked)

    assert refused["refund"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("REFUND_EXCEEDS_REFUNDABLE", "amount")
    ]
    assert await refund_rows(db, paid) == rows_before
    assert await event_count(db, paid) == events_before


async def test_concurrent_requests_never_claim_more_than_was_captured(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """20 simultaneous requests of 1000.00 on 15000.00 paid: exactly 15 recorded, 5 refused;
    approving the 15 at once refunds exactly 15000.00, never more."""
    paid = await paid_booking(api, client)

    answers = await asyncio.gather(
        *(request_refund(api, paid.booking_id, "1000.00") for _ in range(20))
    )

    accepted = [a["refund"]["id"] for a in answers if a["errors"] == []]
    refused = [codes(a) for a in answers if a["errors"]]
    assert len(accepted) == 15
    assert refused == [["REFUND_EXCEEDS_REFUNDABLE"]] * 5
    claimed = await db.fetchval(
        "SELECT sum(amount) FROM refunds WHERE booking_id = $1 AND status <> 'REJECTED'",
        paid.booking_uuid,
    )
    assert claimed == Decimal("15000.00")

    decisions = await asyncio.gather(*(approve(accountant, refund) for refund in accepted))

    assert [d["errors"] for d in decisions] == [[]] * 15
    assert {d["refund"]["status"] for d in decisions} == {"SUCCEEDED"}
    after = await booking(api, paid.booking_id)
    assert after["amountRefunded"]["amount"] == "15000.00"
    assert after["status"] == "CONFIRMED"
    assert len(events(after, "REFUND_SUCCEEDED")) == 15
    assert await sandbox_refunded(db, paid.order_id) == Decimal("15000.00")
    assert codes(await request_refund(api, paid.booking_id, "0.01")) == [
        "REFUND_EXCEEDS_REFUNDABLE"
    ]


# --- Decisions ----------------------------------------------------------------------------------


async def test_rejected_refund_frees_its_amount_again(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """Reject records REJECTED with the reason; the rejected amount can be requested again."""
    paid = await paid_booking(api, client)
    refund_id = await requested(api, paid.booking_id, "15000.00")

    rejected = await reject(accountant, refund_id, "  outside the policy  ")

    assert rejected["errors"] == []
    assert rejected["refund"]["status"] == "REJECTED"
    after = await booking(api, paid.booking_id)
    [event] = events(after, "REFUND_REJECTED")
    assert event["actor"] == "anna@accounts"
    assert event["reason"] == "outside the policy"
    assert after["amountRefunded"]["amount"] == "0.00"
    assert await sandbox_refunded(db, paid.order_id) == Decimal("0.00")
    again = await request_refund(api, paid.booking_id, "15000.00")
    assert again["errors"] == []
    assert codes(await approve(accountant, refund_id)) == ["REFUND_NOT_PENDING"]


async def test_reject_needs_a_reason(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """A rejection without a reason is refused and the refund stays REQUESTED."""
    paid = await paid_booking(api, client)
    refund_id = await requested(api, paid.booking_id, "100.00")

    refused = await reject(accountant, refund_id, "   ")

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("REASON_REQUIRED", "reason")]
    assert [r["status"] for r in await refund_rows(db, paid)] == ["REQUESTED"]


async def test_a_decided_refund_cannot_be_decided_again(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """Approving twice, or rejecting an approved refund: REFUND_NOT_PENDING, no second payout."""
    paid = await paid_booking(api, client)
    refund_id = await requested(api, paid.booking_id, "3000.00")
    await approve(accountant, refund_id)

    twice = await approve(accountant, refund_id)
    late_reject = await reject(accountant, refund_id, "changed my mind")

    assert [(e["code"], e["field"]) for e in twice["errors"]] == [
        ("REFUND_NOT_PENDING", "refundId")
    ]
    assert codes(late_reject) == ["REFUND_NOT_PENDING"]
    after = await booking(api, paid.booking_id)
    assert after["amountRefunded"]["amount"] == "3000.00"
    assert len(events(after, "REFUND_APPROVED")) == 1
    assert await sandbox_refunded(db, paid.order_id) == Decimal("3000.00")


async def test_concurrent_approvals_of_one_refund_pay_out_once(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """Two accountants approve the same refund at once: one wins, the other REFUND_NOT_PENDING."""
    paid = await paid_booking(api, client)
    refund_id = await requested(api, paid.booking_id, "2500.00")

    answers = await asyncio.gather(approve(accountant, refund_id), approve(accountant, refund_id))

    assert sorted(codes(a)[0] if a["errors"] else "OK" for a in answers) == [
        "OK",
        "REFUND_NOT_PENDING",
    ]
    assert await sandbox_refunded(db, paid.order_id) == Decimal("2500.00")
    assert (await booking(api, paid.booking_id))["amountRefunded"]["amount"] == "2500.00"


# --- Who may do what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.SUPPORT, True),
        (Role.OPERATOR, True),
        (Role.ADMIN, True),
        (Role.ACCOUNTANT, False),
        (Role.INTEGRATOR, False),
    ],
)
async def test_who_may_request_a_refund(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, role: Role, allowed: bool
) -> None:
    """Staff request refunds; accountants and integrators may not, and their attempt writes
    nothing."""
    paid = await paid_booking(api, client)
    events_before = await event_count(db, paid)

    answer = await request_refund(api.as_role(role), paid.booking_id, "500.00")

    if allowed:
        assert answer["errors"] == []
        assert answer["refund"]["status"] == "REQUESTED"
        assert answer["refund"]["requestedBy"] == f"{role.value}-user"
    else:
        assert codes(answer) == ["FORBIDDEN"]
        assert answer["refund"] is None
        assert await refund_rows(db, paid) == []
        assert await event_count(db, paid) == events_before


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ACCOUNTANT, True),
        (Role.ADMIN, True),
        (Role.SUPPORT, False),
        (Role.OPERATOR, False),
        (Role.INTEGRATOR, False),
    ],
)
@pytest.mark.parametrize("decision", ["approve", "reject"])
async def test_who_may_decide_a_refund(
    api: Api,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    role: Role,
    allowed: bool,
    decision: str,
) -> None:
    """Accountants and admins decide refunds; everyone else is FORBIDDEN and changes nothing."""
    paid = await paid_booking(api, client)
    refund_id = await requested(api, paid.booking_id, "500.00")
    events_before = await event_count(db, paid)
    decider = api.as_role(role)

    if decision == "approve":
        answer = await approve(decider, refund_id)
    else:
        answer = await reject(decider, refund_id, "not eligible")

    if allowed:
        assert answer["errors"] == []
        assert answer["refund"]["status"] == ("SUCCEEDED" if decision == "approve" else "REJECTED")
    else:
        assert codes(answer) == ["FORBIDDEN"]
        assert answer["refund"] is None
        assert [r["status"] for r in await refund_rows(db, paid)] == ["REQUESTED"]
        assert await event_count(db, paid) == events_before
        assert await sandbox_refunded(db, paid.order_id) == Decimal("0.00")


# --- Refusals -----------------------------------------------------------------------------------


async def test_payment_of_another_booking_is_not_found(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """paymentId must be a verified payment of this booking: another booking's is NOT_FOUND."""
    mine = await paid_booking(api, client)
    other = await paid_booking(api, client)

    refused = await request_refund(api, mine.booking_id, "100.00", paymentId=other.payment_id)
    unknown = await request_refund(
        api, mine.booking_id, "100.00", paymentId=to_global_id("Payment", uuid.uuid4())
    )
    named = await request_refund(api, mine.booking_id, "100.00", paymentId=mine.payment_id)

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("NOT_FOUND", "paymentId")]
    assert codes(unknown) == ["NOT_FOUND"]
    assert named["errors"] == []
    assert named["refund"]["payment"] == {"id": mine.payment_id}
    assert await refund_rows(db, other) == []


async def test_booking_without_verified_payment_has_nothing_to_refund(
    api: Api, client: httpx.AsyncClient
) -> None:
    """No verified money, nothing to refund: NOTHING_TO_REFUND (an open link is not money)."""
    booking_id = await create_clinic(api)
    await request_link(api, booking_id)

    refused = await request_refund(api, booking_id, "100.00")

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("NOTHING_TO_REFUND", "bookingId")
    ]
    assert (await booking(api, booking_id))["refunds"] == []


async def test_refund_of_another_tenants_booking_is_not_found(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Another tenant's booking looks like an unknown one."""
    paid = await paid_booking(api, client)
    stranger = api.for_tenant(f"t-{uuid.uuid4().hex[:12]}")

    refused = await request_refund(stranger, paid.booking_id, "100.00")

    assert codes(refused) == ["NOT_FOUND"]
    assert await refund_rows(db, paid) == []


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.001", "abc"])
async def test_refund_amount_must_be_a_positive_money_amount(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, amount: str
) -> None:
    """Zero, negative, sub-cent or non-numeric amounts: INVALID_AMOUNT, nothing written."""
    paid = await paid_booking(api, client)

    refused = await request_refund(api, paid.booking_id, amount)

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_AMOUNT", "amount")]
    assert await refund_rows(db, paid) == []


async def test_refund_needs_a_reason(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """A refund request without a reason is refused with REASON_REQUIRED."""
    paid = await paid_booking(api, client)

    refused = await request_refund(api, paid.booking_id, "100.00", reason="  ")

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("REASON_REQUIRED", "reason")]
    assert await refund_rows(db, paid) == []


# --- The gateway refuses ------------------------------------------------------------------------


async def test_gateway_refusal_fails_the_refund_and_asks_a_person(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, accountant: Api
) -> None:
    """The gateway refuses an approved refund: FAILED with its code, an OPEN REFUND_FAILED task,
    the booking in MANUAL_REVIEW, and no money counted as refunded."""
    paid = await paid_booking(api, client)
    refund_id = await requested(api, paid.booking_id, "5000.00")
    await db.execute("UPDATE sandbox_orders SET captured = 0 WHERE id = $1", paid.order_id)

    answer = await approve(accountant, refund_id)

    assert answer["errors"] == []
    assert answer["refund"]["status"] == "FAILED"
    assert answer["refund"]["providerRefundReference"] is None
    [row] = await refund_rows(db, paid)
    assert (row["status"], row["failure"]) == ("FAILED", "EXCEEDS_CAPTURED")
    tasks = await db.fetch(
        "SELECT kind, status, payment_id, details FROM review_tasks WHERE booking_id = $1",
        paid.booking_uuid,
    )
    assert [(t["kind"], t["status"], t["payment_id"]) for t in tasks] == [
        ("REFUND_FAILED", "OPEN", paid.payment_uuid)
    ]
    assert str(from_global_id(refund_id)[1]) in tasks[0]["details"]
    after = await booking(api, paid.booking_id)
    assert after["paymentStatus"] == "MANUAL_REVIEW"
    assert after["status"] == "CONFIRMED"
    assert after["amountRefunded"]["amount"] == "0.00"
    [failed] = events(after, "REFUND_FAILED")
    assert (failed["actor"], failed["reason"]) == ("system", "EXCEEDS_CAPTURED")
    assert await sandbox_refunded(db, paid.order_id) == Decimal("0.00")


# --- The database guard -------------------------------------------------------------------------

GUARD = "ck_refunds_within_captured"

INSERT_REFUND = """INSERT INTO refunds (id, tenant_id, booking_id, payment_id, currency, amount,
       status, reason, requested_by)
   SELECT $1, p.tenant_id, p.booking_id, p.id, p.currency, $2, $3, 'direct', 'db-test'
   FROM payments p WHERE p.id = $4"""


async def insert_refund(
    connection: asyncpg.Connection, payment_id: uuid.UUID, amount: str, status: str = "REQUESTED"
) -> None:
    await connection.execute(INSERT_REFUND, uuid.uuid4(), Decimal(amount), status, payment_id)


@pytest.fixture
async def other_db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(_raw(database_url))
    try:
        yield connection
    finally:
        await connection.close()


async def test_database_refuses_refunds_beyond_the_captured_amount(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Rows written past the app still cannot claim more than the payment captured."""
    paid = await paid_booking(api, client)

    with pytest.raises(asyncpg.CheckViolationError) as single:
        await insert_refund(db, paid.payment_uuid, "15000.01")
    await insert_refund(db, paid.payment_uuid, "10000.00", status="SUCCEEDED")
    with pytest.raises(asyncpg.CheckViolationError) as summed:
        await insert_refund(db, paid.payment_uuid, "5000.01")
    await insert_refund(db, paid.payment_uuid, "9000.00", status="REJECTED")  # claims nothing
    with pytest.raises(asyncpg.CheckViolationError) as revived:
        await db.execute(
            "UPDATE refunds SET status = 'REQUESTED' WHERE payment_id = $1 AND status = 'REJECTED'",
            paid.payment_uuid,
        )

    assert {single.value.constraint_name, summed.value.constraint_name} == {GUARD}
    assert revived.value.constraint_name == GUARD
    rows = await refund_rows(db, paid)
    assert sorted((r["amount"], r["status"]) for r in rows) == [
        (Decimal("9000.00"), "REJECTED"),
        (Decimal("10000.00"), "SUCCEEDED"),
    ]


async def test_database_guard_holds_across_concurrent_transactions(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection, other_db: asyncpg.Connection
) -> None:
    """Two transactions each within the limit but over it together: the second one fails."""
    paid = await paid_booking(api, client)
    first = db.transaction()
    second = other_db.transaction()
    await first.start()
    await second.start()
    committed = False
    try:
        await insert_refund(db, paid.payment_uuid, "10000.00")
        blocked = asyncio.create_task(insert_refund(other_db, paid.payment_uuid, "10000.00"))
        await asyncio.sleep(0.5)
        assert not blocked.done()  # the guard waits for the first transaction's lock

        await first.commit()
        committed = True

        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await blocked
        assert refused.value.constraint_name == GUARD
    finally:
        await second.rollback()
        if not committed:
            await first.rollback()
    rows = await refund_rows(db, paid)
    assert [(r["amount"], r["status"]) for r in rows] == [(Decimal("10000.00"), "REQUESTED")]


async def test_database_guard_checks_a_refund_moved_to_another_payment(
    api: Api, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """A refund re-pointed at a smaller payment may not claim more than that payment captured."""
    body = await api.data(CREATE_TOUR, {"input": tour_input(depositAmount="40000.00")})
    booking_id = body["createTourBooking"]["booking"]["id"]
    for _ in range(2):  # the 40000.00 deposit, then the 80000.00 balance
        await pay_on_page(client, (await request_link(api, booking_id))["paymentUrl"])
    payments = {
        row["amount"]: row["id"]
        for row in await db.fetch(
            "SELECT id, amount FROM payments WHERE booking_id = $1 AND state = 'VERIFIED'",
            from_global_id(booking_id)[1],
        )
    }
    deposit, balance = payments[Decimal("40000.00")], payments[Decimal("80000.00")]

    async with db.transaction():
        await insert_refund(db, balance, "80000.00")  # within the balance payment
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await db.execute(
                "UPDATE refunds SET payment_id = $1 WHERE payment_id = $2", deposit, balance
            )
        assert refused.value.constraint_name == GUARD
