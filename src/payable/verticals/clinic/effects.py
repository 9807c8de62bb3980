"""Verified money confirms a clinic appointment."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.models import Booking
from payable.timeline import service as timeline
from payable.timeline.events import EventType
from payable.verticals.base import PaymentFacts
from payable.verticals.clinic.models import ClinicAppointment


async def after_payment(session: AsyncSession, booking: Booking, facts: PaymentFacts) -> None:
    if facts.first_payment:
        await timeline.append(
            session=session,
            tenant_id=booking.tenant_id,
            booking_id=booking.id,
            type=EventType.APPOINTMENT_CONFIRMED,
            actor="system",
            data={"fullyPaid": facts.fully_paid},
        )


async def release_slot(session: AsyncSession, booking: Booking) -> None:
    """A closed appointment no longer holds its slot: another patient may book it."""
    await session.execute(
        update(ClinicAppointment)
        .where(ClinicAppointment.booking_id == booking.id)
        .values(slot_held=False)
    )
