"""Ending bookings: cancel, no-show and completion."""

from __future__ import annotations

import uuid

import strawberry

from payable.bookings import completion, lifecycle
from payable.bookings.refusals import CHANGING, BookingRefusal
from payable.core.errors import CommonRefusal
from payable.core.permissions import Action
from payable.graphql.bookings.payload import booking_payload
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.types.booking import booking_id
from payable.graphql.types.causes import ChangeCause


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
