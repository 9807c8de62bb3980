"""Verified money confirms a clinic appointment."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.models import Booking
from payable.timeline import service as timeline
from payable.verticals.base import PaymentFacts


async def after_payment(session: AsyncSession, booking: Booking, facts: PaymentFacts) -> None:
    if facts.first_payment:
        await timeline.append(
            session=session,
            tenant_id=booking.tenant_id,
            booking_id=booking.id,
            type="APPOINTMENT_CONFIRMED",
            actor="system",
            data={"fullyPaid": facts.fully_paid},
        )
