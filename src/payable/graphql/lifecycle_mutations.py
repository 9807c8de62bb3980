"""Ending bookings: cancel, no-show and completion."""

from __future__ import annotations

import strawberry

from payable.bookings import completion, lifecycle
from payable.core import permissions
from payable.graphql.booking_mutations import booking_payload
from payable.graphql.types.booking import BookingPayload, booking_id
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


@strawberry.type
class LifecycleMutations:
    @strawberry.mutation(
        description="Cancel a booking. Moves no money: see refundQuote for the refund path."
    )
    async def cancel_booking(
        self, info: strawberry.Info, input: CancelBookingInput, idempotency_key: str | None = None
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="cancelBooking",
            permission=permissions.Action.CANCEL_BOOKING,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: lifecycle.cancel(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                reason=input.reason,
                cause=lifecycle.ChangeCause(input.cause),
            ),
        )

    @strawberry.mutation(description="Mark a no-show; only once the service has started.")
    async def mark_no_show(
        self, info: strawberry.Info, input: MarkNoShowInput, idempotency_key: str | None = None
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="markNoShow",
            permission=permissions.Action.MARK_NO_SHOW,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: lifecycle.mark_no_show(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                reason=input.reason,
            ),
        )

    @strawberry.mutation(
        description="The service was delivered (attended, course finished, tour departed):"
        " status COMPLETED, once it has begun and only if CONFIRMED. Afterwards the refund path"
        " is NONE and the booking can no longer be changed, cancelled or marked a no-show;"
        " confirmed bookings also complete by themselves a while after their service ended."
    )
    async def complete_booking(
        self, info: strawberry.Info, input: CompleteBookingInput, idempotency_key: str | None = None
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="completeBooking",
            permission=permissions.Action.COMPLETE_BOOKING,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: completion.complete(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                reason=input.reason,
            ),
        )
