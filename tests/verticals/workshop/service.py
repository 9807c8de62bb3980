"""Booking a workshop seat, and moving it to another session (its change idiom)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import changes, dates
from payable.bookings import service as bookings
from payable.bookings.refusals import BookingRefusal
from payable.core.principal import Principal
from payable.timeline.events import EventType
from payable.verticals import registry
from tests.verticals.workshop.models import KIND, WorkshopSeat


@dataclass(frozen=True, slots=True)
class Seat:
    session_id: str
    session_date: date
    seat: str


async def create(
    *, session: AsyncSession, principal: Principal, basics: bookings.BookingBasics, seat: Seat
) -> uuid.UUID:
    async def add_details(session: AsyncSession, booking_id: uuid.UUID) -> None:
        await session.execute(
            insert(WorkshopSeat.__table__).values(booking_id=booking_id, **asdict(seat))
        )

    return await bookings.create(
        session=session,
        principal=principal,
        new=bookings.NewBooking(
            vertical=registry.get(KIND),
            basics=basics,
            details={"session_id": seat.session_id, "seat": seat.seat},
            add_details=add_details,
            due_by=seat.session_date,
        ),
    )


async def move(
    *, session: AsyncSession, principal: Principal, booking_id: uuid.UUID, to: Seat, reason: str
) -> uuid.UUID:
    """Another session and seat; the money stays with the booking."""
    booking, reason, detail = await changes.open_detail_change(
        session=session,
        principal=principal,
        booking_id=booking_id,
        vertical=registry.get(KIND),
        reason=reason,
    )
    assert isinstance(detail, WorkshopSeat)
    if (detail.session_id, detail.seat) == (to.session_id, to.seat):
        raise BookingRefusal.NO_CHANGE.error("seat", "the booking already has that seat")
    dates.day_not_past(to.session_date, "sessionDate")
    before = changes.snapshot(detail, "session_id", "session_date", "seat")
    detail.session_id, detail.session_date, detail.seat = to.session_id, to.session_date, to.seat
    await changes.record(
        session=session,
        booking=booking,
        event=EventType.RESCHEDULED,
        actor=principal.sub,
        reason=reason,
        before=before,
    )
    return booking.id
