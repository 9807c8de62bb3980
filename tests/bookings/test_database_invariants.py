"""The database itself refuses what would break the model's invariants.

Bookings are created through the API; then the tests bypass the app and attack the tables
directly with asyncpg. Every attack runs in a transaction that is rolled back (or, for the
deferred schedule check, that fails at COMMIT), so nothing leaks into other tests.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tests.api import Api
from tests.bookings.factories import days_from_now
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input

SCHEDULE_SUM = "ck_bookings_schedule_sums_to_price"


@dataclass(frozen=True)
class Created:
    """Ids of a booking made through the API, read back from the database."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    reference: str
    currency: str
    price: Decimal
    installment_ids: list[uuid.UUID]


async def create_booking(api: Api, db: asyncpg.Connection, **overrides: Any) -> Created:
    """Book a clinic appointment through the API and look its rows up."""
    body = await api.data(CREATE_CLINIC, {"input": clinic_input(**overrides)})
    payload = body["createClinicAppointment"]
    assert payload["errors"] == []
    row = await db.fetchrow(
        """SELECT b.id, b.tenant_id, b.customer_id, b.reference, b.currency, b.price
           FROM bookings b JOIN tenants t ON t.id = b.tenant_id
           WHERE t.slug = $1 AND b.reference = $2""",
        api.tenant,
        payload["booking"]["reference"],
    )
    assert row is not None
    installments = await db.fetch(
        "SELECT id FROM installments WHERE booking_id = $1 ORDER BY sequence", row["id"]
    )
    return Created(**dict(row), installment_ids=[r["id"] for r in installments])


@contextlib.asynccontextmanager
async def rolled_back(db: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    """A transaction that never commits, whatever happens inside it."""
    transaction = db.transaction()
    await transaction.start()
    try:
        yield db
    finally:
        await transaction.rollback()


async def insert_payment_request(
    db: asyncpg.Connection,
    booking: Created,
    *,
    status: str = "PENDING",
    currency: str | None = None,
    tenant_id: uuid.UUID | None = None,
) -> None:
    await db.execute(
        """INSERT INTO payment_requests (id, tenant_id, booking_id, installment_id, currency,
               amount, status, provider, provider_order_id, payment_url, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'sandbox', $8, 'x', now() + interval '1 hour')""",
        uuid.uuid4(),
        tenant_id or booking.tenant_id,
        booking.id,
        booking.installment_ids[0],
        currency or booking.currency,
        booking.price,
        status,
        f"order-{uuid.uuid4().hex}",
    )


# --- booking_events is append-only ---------------------------------------------------------------


async def test_booking_events_refuse_update(api: Api, db: asyncpg.Connection) -> None:
    """Timeline events can never be rewritten."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await db.execute(
                "UPDATE booking_events SET type = 'CANCELLED' WHERE booking_id = $1", booking.id
            )


async def test_booking_events_refuse_delete(api: Api, db: asyncpg.Connection) -> None:
    """Timeline events can never be removed one by one."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await db.execute("DELETE FROM booking_events WHERE booking_id = $1", booking.id)


async def test_booking_events_refuse_truncate(api: Api, db: asyncpg.Connection) -> None:
    """The timeline can never be wiped wholesale."""
    await create_booking(api, db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await db.execute("TRUNCATE booking_events")


async def test_booking_events_still_accept_inserts(api: Api, db: asyncpg.Connection) -> None:
    """Append-only still means appendable: a new event goes in."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        await db.execute(
            """INSERT INTO booking_events (id, tenant_id, booking_id, type, actor, data)
               VALUES ($1, $2, $3, 'NOTE', 'tester', '{}')""",
            uuid.uuid4(),
            booking.tenant_id,
            booking.id,
        )
        count = await db.fetchval(
            "SELECT count(*) FROM booking_events WHERE booking_id = $1", booking.id
        )
        assert count == 2


# --- installments add up to the price (deferred constraint trigger) ------------------------------


async def test_changing_an_installment_amount_fails_at_commit(
    api: Api, db: asyncpg.Connection
) -> None:
    """An installment's amount cannot drift from the price; the check waits for COMMIT."""
    booking = await create_booking(api, db)
    transaction = db.transaction()
    await transaction.start()
    # The statement itself is accepted: the check is deferred ...
    await db.execute(
        "UPDATE installments SET amount_due = amount_due - 1 WHERE id = $1",
        booking.installment_ids[0],
    )
    # ... and COMMIT refuses it.
    with pytest.raises(asyncpg.CheckViolationError) as refused:
        await transaction.commit()
    assert refused.value.constraint_name == SCHEDULE_SUM
    assert (
        await db.fetchval(
            "SELECT amount_due FROM installments WHERE id = $1", booking.installment_ids[0]
        )
        == booking.price
    )


async def test_deleting_an_installment_fails_at_commit(api: Api, db: asyncpg.Connection) -> None:
    """Removing a line of the schedule leaves it short of the price: refused at COMMIT."""
    booking = await create_booking(
        api,
        db,
        installments=[
            {"amount": "5000.00", "dueDate": days_from_now(0)},
            {"amount": "10000.00", "dueDate": days_from_now(30)},
        ],
    )
    assert len(booking.installment_ids) == 2
    transaction = db.transaction()
    await transaction.start()
    await db.execute("DELETE FROM installments WHERE id = $1", booking.installment_ids[1])
    with pytest.raises(asyncpg.CheckViolationError) as refused:
        await transaction.commit()
    assert refused.value.constraint_name == SCHEDULE_SUM
    assert (
        await db.fetchval("SELECT count(*) FROM installments WHERE booking_id = $1", booking.id)
        == 2
    )


async def test_changing_the_price_alone_fails_at_commit(api: Api, db: asyncpg.Connection) -> None:
    """A new price without a matching schedule is refused at COMMIT."""
    booking = await create_booking(api, db)
    transaction = db.transaction()
    await transaction.start()
    await db.execute("UPDATE bookings SET price = price + 1 WHERE id = $1", booking.id)
    with pytest.raises(asyncpg.CheckViolationError) as refused:
        await transaction.commit()
    assert refused.value.constraint_name == SCHEDULE_SUM
    assert (
        await db.fetchval("SELECT price FROM bookings WHERE id = $1", booking.id) == booking.price
    )


async def test_changing_price_and_schedule_together_commits(
    api: Api, db: asyncpg.Connection
) -> None:
    """Price and installments may change together in one transaction (the check is deferred)."""
    booking = await create_booking(api, db)
    new_price = booking.price + Decimal("500.00")
    async with db.transaction():
        await db.execute("UPDATE bookings SET price = $2 WHERE id = $1", booking.id, new_price)
        await db.execute(
            "UPDATE installments SET amount_due = $2 WHERE id = $1",
            booking.installment_ids[0],
            new_price,
        )
    assert await db.fetchval("SELECT price FROM bookings WHERE id = $1", booking.id) == new_price
    assert (
        await db.fetchval(
            "SELECT sum(amount_due) FROM installments WHERE booking_id = $1", booking.id
        )
        == new_price
    )


async def test_splitting_an_installment_in_one_transaction_commits(
    api: Api, db: asyncpg.Connection
) -> None:
    """Rewriting the schedule (same total, more lines) is fine: only the sum is checked."""
    booking = await create_booking(api, db)
    half = booking.price / 2
    async with db.transaction():
        await db.execute(
            "UPDATE installments SET amount_due = $2 WHERE id = $1",
            booking.installment_ids[0],
            half,
        )
        await db.execute(
            """INSERT INTO installments (id, booking_id, currency, sequence, label, amount_due,
                   due_date, grace_days)
               VALUES ($1, $2, $3, 2, 'balance', $4, current_date + 30, 0)""",
            uuid.uuid4(),
            booking.id,
            booking.currency,
            half,
        )
    assert (
        await db.fetchval("SELECT count(*) FROM installments WHERE booking_id = $1", booking.id)
        == 2
    )


async def test_moving_an_installment_to_another_booking_is_refused(
    api: Api, db: asyncpg.Connection
) -> None:
    """Re-parenting an installment leaves one booking short and the other over its price."""
    first = await create_booking(api, db)
    second = await create_booking(api, db)
    assert first.currency == second.currency  # so the (booking_id, currency) FK allows it
    async with rolled_back(db):
        await db.execute(
            "UPDATE installments SET booking_id = $2, sequence = 2 WHERE id = $1",
            first.installment_ids[0],
            second.id,
        )
        # Fire the deferred checks now (what COMMIT would do) without committing.
        with pytest.raises(asyncpg.CheckViolationError):
            await db.execute("SET CONSTRAINTS ALL IMMEDIATE")


# --- money is positive and never overpaid ---------------------------------------------------------


@pytest.mark.parametrize("price", [Decimal("0.00"), Decimal("-1.00")])
async def test_booking_price_must_be_positive(
    api: Api, db: asyncpg.Connection, price: Decimal
) -> None:
    """bookings.price > 0 (ck_bookings_price_positive)."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await db.execute("UPDATE bookings SET price = $2 WHERE id = $1", booking.id, price)
    assert refused.value.constraint_name == "ck_bookings_price_positive"


@pytest.mark.parametrize("amount", [Decimal("-0.01"), Decimal("-5.00")])
async def test_installment_amount_due_is_never_negative(
    api: Api, db: asyncpg.Connection, amount: Decimal
) -> None:
    """installments.amount_due >= 0 (zero only for a line waived by a price cut)."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await db.execute(
                "UPDATE installments SET amount_due = $2 WHERE id = $1",
                booking.installment_ids[0],
                amount,
            )
    assert refused.value.constraint_name == "ck_installments_amount_due_not_negative"


async def test_installment_amount_paid_is_never_negative(api: Api, db: asyncpg.Connection) -> None:
    """installments.amount_paid >= 0 (ck_installments_amount_paid_not_negative)."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await db.execute(
                "UPDATE installments SET amount_paid = -0.01 WHERE id = $1",
                booking.installment_ids[0],
            )
    assert refused.value.constraint_name == "ck_installments_amount_paid_not_negative"


async def test_installment_can_be_paid_exactly(api: Api, db: asyncpg.Connection) -> None:
    """The upper bound is inclusive: paying the whole amount due is allowed."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        await db.execute(
            "UPDATE installments SET amount_paid = amount_due WHERE id = $1",
            booking.installment_ids[0],
        )


# --- one currency per booking ---------------------------------------------------------------------


async def test_installment_in_another_currency_is_refused(api: Api, db: asyncpg.Connection) -> None:
    """An installment's (booking_id, currency) must match its booking's (id, currency)."""
    booking = await create_booking(api, db)
    assert booking.currency == "AMD"
    async with rolled_back(db):
        with pytest.raises(asyncpg.ForeignKeyViolationError) as refused:
            await db.execute(
                """INSERT INTO installments (id, booking_id, currency, sequence, label,
                       amount_due, due_date, grace_days)
                   VALUES ($1, $2, 'USD', 2, 'extra', 10, current_date, 0)""",
                uuid.uuid4(),
                booking.id,
            )
    assert refused.value.constraint_name == "fk_installments_booking_id_bookings"


async def test_payment_request_in_another_currency_is_refused(
    api: Api, db: asyncpg.Connection
) -> None:
    """A payment request's currency must be its booking's (composite FK to bookings)."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.ForeignKeyViolationError) as refused:
            await insert_payment_request(db, booking, currency="EUR")
    assert refused.value.constraint_name == "fk_payment_requests_booking_id_bookings"


async def test_booking_currency_cannot_change_under_its_installments(
    api: Api, db: asyncpg.Connection
) -> None:
    """Changing a booking's currency would orphan its installments' currency: refused."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await db.execute("UPDATE bookings SET currency = 'USD' WHERE id = $1", booking.id)


# --- references, tenants ------------------------------------------------------------------------


async def test_booking_reference_is_unique_per_tenant(api: Api, db: asyncpg.Connection) -> None:
    """Two bookings of one tenant never share a reference."""
    first = await create_booking(api, db)
    second = await create_booking(api, db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.UniqueViolationError) as refused:
            await db.execute(
                "UPDATE bookings SET reference = $2 WHERE id = $1", second.id, first.reference
            )
    assert refused.value.constraint_name == "uq_bookings_tenant_id_reference"


async def test_same_reference_in_another_tenant_is_allowed(
    api: Api, db: asyncpg.Connection
) -> None:
    """Uniqueness is per tenant: another tenant may hold the same reference."""
    ours = await create_booking(api, db)
    theirs = await create_booking(api.for_tenant(f"t-{uuid.uuid4().hex[:12]}"), db)
    async with rolled_back(db):
        await db.execute(
            "UPDATE bookings SET reference = $2 WHERE id = $1", theirs.id, ours.reference
        )


async def test_booking_cannot_point_to_another_tenants_customer(
    api: Api, db: asyncpg.Connection
) -> None:
    """bookings (tenant_id, customer_id) must name a customer of the same tenant."""
    ours = await create_booking(api, db)
    theirs = await create_booking(api.for_tenant(f"t-{uuid.uuid4().hex[:12]}"), db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.ForeignKeyViolationError) as refused:
            await db.execute(
                "UPDATE bookings SET customer_id = $2 WHERE id = $1", ours.id, theirs.customer_id
            )
    assert refused.value.constraint_name == "fk_bookings_tenant_id_customers"


async def test_event_cannot_be_filed_under_another_tenant(api: Api, db: asyncpg.Connection) -> None:
    """booking_events (tenant_id, booking_id) must name a booking of the same tenant."""
    ours = await create_booking(api, db)
    theirs = await create_booking(api.for_tenant(f"t-{uuid.uuid4().hex[:12]}"), db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await db.execute(
                """INSERT INTO booking_events (id, tenant_id, booking_id, type, actor, data)
                   VALUES ($1, $2, $3, 'NOTE', 'intruder', '{}')""",
                uuid.uuid4(),
                ours.tenant_id,
                theirs.id,
            )


async def test_payment_request_cannot_be_filed_under_another_tenant(
    api: Api, db: asyncpg.Connection
) -> None:
    """A payment request's tenant must be its booking's tenant."""
    ours = await create_booking(api, db)
    theirs = await create_booking(api.for_tenant(f"t-{uuid.uuid4().hex[:12]}"), db)
    async with rolled_back(db):
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await insert_payment_request(db, theirs, tenant_id=ours.tenant_id)


# --- at most one active payment link per installment ---------------------------------------------


async def test_two_pending_payment_requests_for_one_installment_are_refused(
    api: Api, db: asyncpg.Connection
) -> None:
    """uq_payment_requests_active_installment: one PENDING link per installment."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        await insert_payment_request(db, booking, status="PENDING")
        with pytest.raises(asyncpg.UniqueViolationError) as refused:
            await insert_payment_request(db, booking, status="PENDING")
    assert refused.value.constraint_name == "uq_payment_requests_active_installment"


async def test_pending_next_to_expired_payment_request_is_allowed(
    api: Api, db: asyncpg.Connection
) -> None:
    """The unique index is partial: expired links do not block a new pending one."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        await insert_payment_request(db, booking, status="EXPIRED")
        await insert_payment_request(db, booking, status="EXPIRED")
        await insert_payment_request(db, booking, status="PENDING")
        count = await db.fetchval(
            "SELECT count(*) FROM payment_requests WHERE installment_id = $1",
            booking.installment_ids[0],
        )
        assert count == 3


async def test_expiring_the_pending_request_frees_the_installment(
    api: Api, db: asyncpg.Connection
) -> None:
    """Once the pending link is expired, a new pending link may be issued."""
    booking = await create_booking(api, db)
    async with rolled_back(db):
        await insert_payment_request(db, booking, status="PENDING")
        await db.execute(
            "UPDATE payment_requests SET status = 'EXPIRED' WHERE installment_id = $1",
            booking.installment_ids[0],
        )
        await insert_payment_request(db, booking, status="PENDING")
