"""Closing a whole departure at once (e.g. weather): every live booking of one package and date."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import lifecycle
from payable.bookings.enums import LIVE, BookingStatus
from payable.bookings.lifecycle import ChangeCause
from payable.bookings.models import Booking
from payable.core.principal import Principal
from payable.core.text import require_reason
from payable.verticals.tour.models import TourBooking
from payable.verticals.tour.refusals import TourRefusal


async def cancel_departure(
    *,
    session: AsyncSession,
    principal: Principal,
    package_id: str,
    tour_date: date,
    reason: str,
    cause: ChangeCause,
) -> list[uuid.UUID]:
    """Cancel every live booking of one departure in one transaction, each with its own event."""
    reason = require_reason(reason)
    rows = (
        await session.execute(
            select(Booking)
            .join(TourBooking, TourBooking.booking_id == Booking.id)
            .where(
                Booking.tenant_id == principal.tenant_id,
                Booking.status.in_(LIVE),
                TourBooking.package_id == package_id,
                TourBooking.tour_date == tour_date,
            )
            .order_by(Booking.id)  # one lock order for every multi-booking change
            .with_for_update(of=Booking)
        )
    ).scalars()
    cancelled = []
    for booking in list(rows):
        await lifecycle.close(
            session, booking, BookingStatus.CANCELLED, cause.value, principal.sub, reason
        )
        cancelled.append(booking.id)
    if not cancelled:
        raise TourRefusal.NO_LIVE_BOOKINGS.error("packageId")
    return cancelled
