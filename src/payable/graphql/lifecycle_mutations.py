"""Ending bookings: cancel, no-show, a whole tour departure, and completion."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry

from payable.bookings import completion, lifecycle
from payable.core import permissions
from payable.graphql import mutation
from payable.graphql.booking_mutations import booking_payload
from payable.graphql.context import ctx
from payable.graphql.types.booking import BookingPayload, PayableBooking, booking_id, to_graphql
from payable.graphql.types.common import UserError
from payable.graphql.types.refunds import Refund
from payable.refunds import service as refunds

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

    @strawberry.mutation(
        description="Cancel every live booking of one package and date at once (e.g. weather),"
        " each with its own event and refund path, in one transaction."
    )
    async def cancel_tour_departure(
        self,
        info: strawberry.Info,
        input: CancelTourDepartureInput,
        idempotency_key: str | None = None,
    ) -> DeparturePayload:
        cancelled: list[uuid.UUID] = []
        requested: list[uuid.UUID] = []

        async def action(session, principal):  # type: ignore[no-untyped-def]
            ids = await lifecycle.cancel_departure(
                session=session,
                principal=principal,
                package_id=input.package_id,
                tour_date=input.tour_date,
                reason=input.reason,
                cause=lifecycle.ChangeCause(input.cause),
            )
            cancelled.extend(ids)
            if input.request_refunds:
                for booking in ids:
                    requested.extend(
                        await refunds.request_quoted(
                            session=session,
                            principal=principal,
                            booking_id=booking,
                            reason=input.reason,
                        )
                    )
            return ids[0]

        outcome = await mutation.run(
            info,
            operation="cancelTourDeparture",
            permission=permissions.Action.CANCEL_DEPARTURE,
            request=input,
            idempotency_key=idempotency_key,
            action=action,
        )
        if outcome.errors:
            return DeparturePayload(bookings=[], errors=outcome.errors)
        # A replayed key knows only the first booking it cancelled.
        loaders = ctx(info).loaders
        views = await loaders.booking.load_many(cancelled or [outcome.result_id])
        rows = await loaders.refund.load_many(requested)
        return DeparturePayload(
            bookings=[to_graphql(v) for v in views],
            errors=[],
            refunds=[Refund(row=r) for r in rows],
        )
