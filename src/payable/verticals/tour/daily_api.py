"""The tour lines of `dailySummary`: departures paid in full."""

from __future__ import annotations

from datetime import date

import strawberry

from payable.verticals.tour.daily import FullyPaid
from payable.verticals.tour.models import KIND


@strawberry.type
class FullyPaidDeparture:
    package_id: strawberry.ID
    tour_date: date
    bookings: int


@strawberry.type
class TourDailyFigures:
    """Joined into DailySummary, whose ``figures`` hold each vertical's ``daily_figures``."""

    @strawberry.field
    def tours_fully_paid(self) -> list[FullyPaidDeparture]:
        found: list[FullyPaid] = self.figures[KIND]  # type: ignore[attr-defined]
        return [
            FullyPaidDeparture(
                package_id=strawberry.ID(f.package_id), tour_date=f.tour_date, bookings=f.bookings
            )
            for f in found
        ]
