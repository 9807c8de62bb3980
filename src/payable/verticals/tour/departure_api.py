"""`tourDeparture`: what a tour operator reads before a departure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import strawberry

from payable.core import permissions
from payable.graphql import guard
from payable.graphql.context import ctx
from payable.graphql.types.common import Money
from payable.verticals.tour import departures
from payable.verticals.tour.graphql import TourBooking


@strawberry.type(
    description="One package's departure on one date: who travels, how many, and the money."
    " Cancelled bookings and no-shows are listed apart and counted in no total."
)
class TourDeparture:
    found: strawberry.Private[departures.Departure]

    @strawberry.field
    def package_id(self) -> strawberry.ID:
        return strawberry.ID(self.found.package_id)

    @strawberry.field
    def tour_date(self) -> date:
        return self.found.tour_date

    @strawberry.field(
        description="The bookings that travel (awaiting payment, confirmed or completed),"
        " oldest first: the departure's manifest."
    )
    def bookings(self) -> list[TourBooking]:
        return [TourBooking(booking=v.booking, detail=v.detail) for v in self.found.travelling]  # type: ignore[call-arg]

    @strawberry.field(description="Cancelled and no-show bookings of this departure, oldest first.")
    def cancelled_bookings(self) -> list[TourBooking]:
        return [TourBooking(booking=v.booking, detail=v.detail) for v in self.found.cancelled]  # type: ignore[call-arg]

    @strawberry.field(description="Participants of the travelling bookings.")
    def participants(self) -> int:
        return self.found.participants

    @strawberry.field(
        description="Sum of the travelling bookings' prices, one entry per currency (currencies"
        " never mix)."
    )
    def price(self) -> list[Money]:
        return self._per_currency(lambda t: t.price)

    @strawberry.field(description="Verified money received on the travelling bookings.")
    def amount_paid(self) -> list[Money]:
        return self._per_currency(lambda t: t.paid)

    @strawberry.field(description="What the travelling bookings still owe.")
    def balance_due(self) -> list[Money]:
        return self._per_currency(lambda t: t.balance_due)

    def _per_currency(self, pick: Callable[[departures.Totals], Decimal]) -> list[Money]:
        return [Money.of(pick(t), c) for c, t in sorted(self.found.totals.items())]


@strawberry.type
class TourDepartureQueries:
    @strawberry.field(
        description="A departure (one package on one date) with its bookings, participants and"
        " money; empty lists and zero participants when nothing is booked. Staff roles"
        " (admin, operator, support, accountant)."
    )
    async def tour_departure(
        self, info: strawberry.Info, package_id: strawberry.ID, tour_date: date
    ) -> TourDeparture:
        principal = await guard.require(
            info, operation="tourDeparture", permission=permissions.Action.READ_DEPARTURES
        )
        context = ctx(info)
        found = await departures.departure(
            session=context.read_session,
            tenant_id=principal.tenant_id,
            package_id=package_id,
            tour_date=tour_date,
        )
        loader = context.loaders.booking
        for view in (*found.travelling, *found.cancelled):
            loader.prime(view.booking.id, view)
        return TourDeparture(found=found)
