"""Finding tour bookings: the filters on their own fields and the indexes behind them.
Rows are reached through their booking, whose tenant is checked there."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Index, Select, select

from payable.verticals.tour.models import TourBooking

_tour = TourBooking.__table__.c

FILTERS = {
    "package_id": _tour.package_id,
    "tour_date": _tour.tour_date,
    "source_channel": _tour.source_channel,
    "manager_reference": _tour.manager_reference,
}

INDEXES = (
    Index("ix_tour_bookings_package_date", _tour.package_id, _tour.tour_date),
    Index("ix_tour_bookings_source_channel", _tour.source_channel),
    Index("ix_tour_bookings_manager_reference", _tour.manager_reference),
)


def serving(_tenant_id: uuid.UUID, first: date | None, last: date | None) -> Select:
    """Bookings whose departure is from ``first`` to ``last``."""
    query = select(_tour.booking_id)
    if first is not None:
        query = query.where(_tour.tour_date >= first)
    if last is not None:
        query = query.where(_tour.tour_date <= last)
    return query
