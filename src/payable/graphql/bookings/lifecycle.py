"""Ending bookings: cancel, no-show, a whole tour departure, and completion."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry

from payable.bookings import completion, lifecycle
from payable.bookings.refusals import CHANGING, BookingRefusal
from payable.core.errors import CommonRefusal
from payable.core.permissions import Action
from payable.graphql.bookings.payload import booking_payload
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.mutations.runner import Outcome
from payable.graphql.types.booking import PayableBooking, booking_id, to_graphql
from payable.graphql.types.common import UserError
from payable.graphql.types.refunds import Refund
from payable.refunds import service as refunds
from payable.refunds.refusals import RefundRefusal

ChangeCause = strawberry.enum(lifecycle.ChangeCause, name="ChangeCause")


@strawberry.input(description="cause WEATHER records WEATHER_CANCELLED.")
class CancelBookingInput:
    booking_id: strawberry.ID
    reason: str
    cause: ChangeCause


@strawberry.input
class MarkNoShowInput:
    booking_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class CompleteBookingInput:
    booking_id: strawberry.ID
    reason: str | None = None


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


# Closing without a reason required: the booking unknown or no longer live.
_CLOSING = (
    CommonRefusal.NOT_FOUND,
    BookingRefusal.BOOKING_CLOSED,
    BookingRefusal.BOOKING_COMPLETED,
)


@strawberry.type
class LifecycleMutations:
    @mutation(
        role=Action.CANCEL_BOOKING,
        answer=booking_payload,
        refusals=CHANGING,
        description="Cancel a booking. Moves no money: see refundQuote for the refund path.",
    )
    async def cancel_booking(call: Call, input: CancelBookingInput) -> uuid.UUID:
        return await lifecycle.cancel(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            reason=input.reason,
            cause=lifecycle.ChangeCause(input.cause),
        )

    @mutation(
        role=Action.MARK_NO_SHOW,
        answer=booking_payload,
        refusals=(*_CLOSING, CommonRefusal.TEXT_TOO_LONG, BookingRefusal.NOT_STARTED),
        description="Mark a no-show; only once the service has started.",
    )
    async def mark_no_show(call: Call, input: MarkNoShowInput) -> uuid.UUID:
        return await lifecycle.mark_no_show(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            reason=input.reason,
        )

    @mutation(
        role=Action.COMPLETE_BOOKING,
        answer=booking_payload,
        refusals=(*_CLOSING, BookingRefusal.NOT_CONFIRMED, BookingRefusal.NOT_STARTED),
        description="The service was delivered (attended, course finished, tour departed):"
        " status COMPLETED, once it has begun and only if CONFIRMED. Afterwards the refund path"
        " is NONE and the booking can no longer be changed, cancelled or marked a no-show;"
        " confirmed bookings also complete by themselves a while after their service ended.",
    )
    async def complete_booking(call: Call, input: CompleteBookingInput) -> uuid.UUID:
        return await completion.complete(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            reason=input.reason,
        )

    @mutation(
        role=Action.CANCEL_DEPARTURE,
        answer=_departure_payload,
        refusals=(
            *CHANGING,
            BookingRefusal.NO_LIVE_BOOKINGS,
            RefundRefusal.NOTHING_TO_REFUND,
            RefundRefusal.REFUND_EXCEEDS_REFUNDABLE,
        ),
        description="Cancel every live booking of one package and date at once (e.g. weather),"
        " each with its own event and refund path, in one transaction.",
    )
    async def cancel_tour_departure(call: Call, input: CancelTourDepartureInput) -> uuid.UUID:
        cancelled = await lifecycle.cancel_departure(
            session=call.session,
            principal=call.principal,
            package_id=input.package_id,
            tour_date=input.tour_date,
            reason=input.reason,
            cause=lifecycle.ChangeCause(input.cause),
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
