"""Tour changes: another date (e.g. weather), and more or fewer participants."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import changes, dates, pricing
from payable.bookings.lifecycle import ChangeCause
from payable.bookings.models import Booking
from payable.bookings.refusals import BookingRefusal
from payable.core.money import parse_amount
from payable.core.principal import Principal
from payable.timeline.events import EventType
from payable.verticals import registry
from payable.verticals.tour.models import KIND, TourBooking
from payable.verticals.tour.refusals import TourRefusal


async def _open(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID, reason: str
) -> tuple[Booking, str, TourBooking]:
    return await changes.open_detail_change(  # type: ignore[return-value]
        session=session,
        principal=principal,
        booking_id=booking_id,
        vertical=registry.get(KIND),
        reason=reason,
    )


async def transfer(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    new_date: date,
    reason: str,
    cause: ChangeCause,
) -> uuid.UUID:
    """Another departure date; the money, links and payments stay with the booking."""
    booking, reason, tour = await _open(session, principal, booking_id, reason)
    if tour.tour_date == new_date:
        raise BookingRefusal.NO_CHANGE.error("newTourDate", "the booking is already on that date")
    dates.day_not_past(new_date, "newTourDate")
    before = changes.snapshot(tour, "tour_date")
    tour.tour_date = new_date
    moved = await dates.pull_forward(session, booking.id, new_date)
    await changes.record(
        session=session,
        booking=booking,
        event=EventType.TOUR_TRANSFERRED,
        actor=principal.sub,
        reason=reason,
        before=before,
        cause=cause,
        **({"due_dates_moved": moved} if moved else {}),
    )
    return booking.id


async def adjust_participants(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    participant_count: int,
    reason: str,
    new_price: object | None,
) -> uuid.UUID:
    """More people add an installment for the difference; fewer leave the money paid and show
    the excess as refundable. The price follows per participant unless ``new_price`` is given."""
    if participant_count < 1:
        raise TourRefusal.INVALID_PARTICIPANT_COUNT.error("participantCount")
    booking, reason, tour = await _open(session, principal, booking_id, reason)
    if participant_count == tour.participant_count:
        raise BookingRefusal.NO_CHANGE.error(
            "participantCount", "that is the current participant count"
        )
    if new_price is None:
        each = booking.price / tour.participant_count
        price = (each * participant_count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        price = parse_amount(new_price, field="newPrice")
    before = changes.snapshot(tour, "participant_count") | changes.snapshot(booking, "price")
    tour.participant_count = participant_count
    overpaid = await pricing.set_price(session, booking, price, actor=principal.sub, reason=reason)
    await changes.record(
        session=session,
        booking=booking,
        event=EventType.PARTICIPANTS_ADJUSTED,
        actor=principal.sub,
        reason=reason,
        before=before,
        overpaid=overpaid,
    )
    return booking.id
