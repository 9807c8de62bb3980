"""Counting money toward a booking: its schedule, its total, its status and its vertical.

Used when verified money arrives and when a person accepts held money; the database checks at
commit that the booking's counted money equals its verified payments and its schedule's lines.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import derived
from payable.bookings.enums import BookingStatus
from payable.bookings.models import Booking, Installment
from payable.payments import links
from payable.payments.models import Payment
from payable.verticals import registry
from payable.verticals.base import PaymentFacts


@dataclass(frozen=True, slots=True)
class Counted:
    facts: PaymentFacts
    data: dict[str, object]  # for the event: the booking's status and the allocation


async def count(
    session: AsyncSession, booking: Booking, payment: Payment, *, installment_id: uuid.UUID
) -> Counted:
    """Allocate ``payment`` to the schedule and the booking.

    The link's own installment first, then the earliest unpaid lines; what is left beyond every
    line stays on the link's installment (overpaid: it shows as refundable).
    """
    lines = list(
        (
            await session.execute(
                select(Installment)
                .where(Installment.booking_id == booking.id)
                .order_by(Installment.sequence)
                .with_for_update()
            )
        ).scalars()
    )
    own = next(line for line in lines if line.id == installment_id)
    left = payment.amount
    allocation: dict[int, Decimal] = {}
    for line in [own, *(line for line in lines if line is not own)]:
        take = min(left, max(line.amount_due - line.amount_paid, Decimal(0)))
        if take > 0:
            allocation[line.sequence] = allocation.get(line.sequence, Decimal(0)) + take
            left -= take
    if left > 0:
        allocation[own.sequence] = allocation.get(own.sequence, Decimal(0)) + left
    for line in lines:
        if line.sequence in allocation:
            await session.execute(
                update(Installment)
                .where(Installment.id == line.id)
                .values(amount_paid=Installment.amount_paid + allocation[line.sequence])
            )
    first_payment = booking.amount_paid == 0
    new_status = (
        BookingStatus.CONFIRMED.value
        if booking.status == BookingStatus.AWAITING_PAYMENT.value
        else booking.status
    )
    old_status = booking.status
    updated = await session.scalar(
        update(Booking)
        .where(Booking.id == booking.id)
        .values(amount_paid=Booking.amount_paid + payment.amount, status=new_status)
        .returning(Booking)
        .execution_options(populate_existing=True)
    )
    assert updated is not None
    return Counted(
        facts=PaymentFacts(
            first_payment=first_payment, fully_paid=updated.amount_paid >= updated.price
        ),
        data={
            "bookingStatus": {"old": old_status, "new": new_status},
            "allocation": {str(seq): f"{amount:.2f}" for seq, amount in allocation.items()},
        },
    )


def describe(payment: Payment) -> dict[str, object]:
    """What a PAYMENT_VERIFIED event says about the money."""
    return {
        "paymentId": str(payment.id),
        "amount": {"amount": f"{payment.amount:.2f}", "currency": payment.currency},
        "verifiedBy": payment.verified_by,
        "providerReference": payment.provider_reference,
    }


async def after_counted(session: AsyncSession, booking_id: uuid.UUID, counted: Counted) -> None:
    """What follows counted money: the vertical's effects, derived state, links re-priced."""
    booking = await session.get_one(Booking, booking_id)
    await registry.get(booking.kind).after_payment(session, booking, counted.facts)
    await links.withdraw_overpriced(session, booking_id=booking.id, actor="system")
    await derived.refresh(session, booking)
