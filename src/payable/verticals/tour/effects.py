"""Verified money marks a tour's deposit paid, then the tour fully paid."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.models import Booking
from payable.timeline import service as timeline
from payable.timeline.events import EventType
from payable.verticals.base import PaymentFacts


async def after_payment(session: AsyncSession, booking: Booking, facts: PaymentFacts) -> None:
    if facts.fully_paid:
        event = EventType.TOUR_FULLY_PAID
    elif facts.first_payment:
        event = EventType.TOUR_DEPOSIT_PAID
    else:
        return
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type=event,
        actor="system",
        data={"amountPaid": {"amount": f"{booking.amount_paid:.2f}", "currency": booking.currency}},
    )
