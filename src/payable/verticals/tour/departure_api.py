"""A departure in the API: `tourDeparture` (what a tour operator reads before it) and
`cancelTourDeparture` (closing it at once)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import strawberry

from payable.bookings.lifecycle import ChangeCause as DomainCause
from payable.bookings.refusals import CHANGING
from payable.core import permissions
from payable.graphql import guard
from payable.graphql.context import ctx
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.mutations.runner import Outcome
from payable.graphql.types.booking import PayableBooking, to_graphql
from payable.graphql.types.causes import ChangeCause
from payable.graphql.types.common import Money, UserError
from payable.graphql.types.refunds import Refund
from payable.refunds import service as refunds
from payable.refunds.refusals import RefundRefusal
from payable.verticals.tour import closing, departures
from payable.verticals.tour.graphql import TourBooking
from payable.verticals.tour.refusals import TourRefusal


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


@strawberry.input
class CancelTourDepartureInput:
    package_id: strawberry.ID
    tour_date: date
    reason: str
    cause: ChangeCause
    request_refunds: bool = strawberry.field(
        default=False,
        description="Also request, in the same call, the refund each cancelled booking's policy"
        " quotes (split across its payments); someone else approves them.",
    )


@strawberry.type
class DeparturePayload:
    bookings: list[PayableBooking]
    errors: list[UserError]
    refunds: list[Refund] = strawberry.field(
        default_factory=list, description="The refunds requested with `requestRefunds`."
    )


async def _departure_payload(call: Call, outcome: Outcome) -> DeparturePayload:
    if outcome.errors:
        return DeparturePayload(bookings=[], errors=outcome.errors)
    # A replayed key knows only the first booking it cancelled.
    cancelled, requested = call.kept if call.kept else ([outcome.result_id], [])
    loaders = call.context.loaders
    views = await loaders.booking.load_many(cancelled)
    rows = await loaders.refund.load_many(requested)
    return DeparturePayload(
        bookings=[to_graphql(v) for v in views],
        errors=[],
        refunds=[Refund(row=r) for r in rows],
    )


@strawberry.type
class TourDepartureMutations:
    @mutation(
        role=permissions.Action.CANCEL_DEPARTURE,
        answer=_departure_payload,
        refusals=(
            *CHANGING,
            TourRefusal.NO_LIVE_BOOKINGS,
            RefundRefusal.NOTHING_TO_REFUND,
            RefundRefusal.REFUND_EXCEEDS_REFUNDABLE,
        ),
        description="Cancel every live booking of one package and date at once (e.g. weather),"
        " each with its own event and refund path, in one transaction.",
    )
    async def cancel_tour_departure(call: Call, input: CancelTourDepartureInput) -> uuid.UUID:
        cancelled = await closing.cancel_departure(
            session=call.session,
            principal=call.principal,
            package_id=input.package_id,
            tour_date=input.tour_date,
            reason=input.reason,
            cause=DomainCause(input.cause),
        )
        requested: list[uuid.UUID] = []
        if input.request_refunds:
            for booking in cancelled:
                requested.extend(
                    await refunds.request_quoted(
                        session=call.session,
                        principal=call.principal,
                        booking_id=booking,
                        reason=input.reason,
                    )
                )
        call.kept = [cancelled, requested]
        return cancelled[0]
