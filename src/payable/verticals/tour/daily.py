"""The tour lines of the operator's day: departures whose every live booking is paid in full."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.enums import LIVE
from payable.bookings.models import Booking
from payable.verticals.tour.models import TourBooking


@dataclass(frozen=True, slots=True)
class FullyPaid:
    package_id: str
    tour_date: date
    bookings: int


async def fully_paid_departures(
    session: AsyncSession, tenant_id: uuid.UUID, day: date
) -> list[FullyPaid]:
    """Upcoming departures whose every live booking is paid in full."""
    rows = await session.execute(
        select(TourBooking.package_id, TourBooking.tour_date, func.count())
        .join(Booking, Booking.id == TourBooking.booking_id)
        .where(
            Booking.tenant_id == tenant_id, Booking.status.in_(LIVE), TourBooking.tour_date >= day
        )
        .group_by(TourBooking.package_id, TourBooking.tour_date)
        .having(func.bool_and(Booking.amount_paid >= Booking.price))
        .order_by(TourBooking.tour_date, TourBooking.package_id)
    )
    return [FullyPaid(package, when, count) for package, when, count in rows.all()]
