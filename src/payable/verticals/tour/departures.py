"""A departure: one package on one date, with its bookings, travellers and money."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import queries as bookings
from payable.bookings.enums import BookingStatus
from payable.bookings.search import BookingFilter

# These travel no more; the departure lists them apart and counts neither people nor money.
_NOT_TRAVELLING = (BookingStatus.CANCELLED.value, BookingStatus.NO_SHOW.value)


@dataclass(frozen=True, slots=True)
class Totals:
    """One currency's money over a departure's travelling bookings."""

    price: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    balance_due: Decimal = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Departure:
    package_id: str
    tour_date: date
    travelling: list[bookings.BookingView]
    cancelled: list[bookings.BookingView]
    totals: dict[str, Totals] = field(default_factory=dict)  # by currency

    @property
    def participants(self) -> int:
        return sum(view.detail.participant_count for view in self.travelling)  # type: ignore[attr-defined]


async def departure(
    *, session: AsyncSession, tenant_id: uuid.UUID, package_id: str, tour_date: date
) -> Departure:
    """Every booking of the departure, oldest first; empty lists when there is none."""
    views = await bookings.matching(
        session=session,
        tenant_id=tenant_id,
        where=BookingFilter(details={"package_id": package_id, "tour_date": tour_date}),
    )
    travelling = [v for v in views if v.booking.status not in _NOT_TRAVELLING]
    totals: dict[str, Totals] = {}
    for view in travelling:
        booking = view.booking
        so_far = totals.get(booking.currency, Totals())
        totals[booking.currency] = Totals(
            price=so_far.price + booking.price,
            paid=so_far.paid + booking.amount_paid,
            balance_due=so_far.balance_due
            + max(booking.price - booking.amount_paid, Decimal("0.00")),
        )
    return Departure(
        package_id=package_id,
        tour_date=tour_date,
        travelling=travelling,
        cancelled=[v for v in views if v.booking.status in _NOT_TRAVELLING],
        totals=totals,
    )
