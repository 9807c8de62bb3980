"""The workshop seat in the API: its booking type, its create mutation and moving a seat."""

from __future__ import annotations

from datetime import date

import strawberry

from payable.core import permissions
from payable.graphql.booking_inputs import BookingInputBase, basics
from payable.graphql.booking_mutations import booking_payload
from payable.graphql.types.booking import BookingPayload, PayableBooking, booking_id
from tests.verticals.workshop import models, service


@strawberry.type(description="A seat in one session of a workshop.")
class WorkshopSeat(PayableBooking):
    detail: strawberry.Private[models.WorkshopSeat]

    @strawberry.field
    def session_id(self) -> strawberry.ID:
        return strawberry.ID(self.detail.session_id)

    @strawberry.field
    def session_date(self) -> date:
        return self.detail.session_date

    @strawberry.field
    def seat(self) -> str:
        return self.detail.seat


@strawberry.input
class CreateWorkshopSeatInput(BookingInputBase):
    session_id: strawberry.ID
    session_date: date
    seat: str


@strawberry.input
class MoveWorkshopSeatInput:
    booking_id: strawberry.ID
    session_id: strawberry.ID
    session_date: date
    seat: str
    reason: str


@strawberry.type
class WorkshopMutations:
    @strawberry.mutation
    async def create_workshop_seat(
        self, info: strawberry.Info, input: CreateWorkshopSeatInput
    ) -> BookingPayload:
        seat = service.Seat(input.session_id, input.session_date, input.seat)
        return await booking_payload(
            info,
            operation="createWorkshopSeat",
            permission=permissions.Action.CREATE_BOOKING,
            request=input,
            idempotency_key=None,
            action=lambda session, principal: service.create(
                session=session, principal=principal, basics=basics(input), seat=seat
            ),
        )


@strawberry.type
class WorkshopChangeMutations:
    @strawberry.mutation
    async def move_workshop_seat(
        self, info: strawberry.Info, input: MoveWorkshopSeatInput
    ) -> BookingPayload:
        to = service.Seat(input.session_id, input.session_date, input.seat)
        return await booking_payload(
            info,
            operation="moveWorkshopSeat",
            permission=permissions.Action.CHANGE_BOOKING,
            request=input,
            idempotency_key=None,
            action=lambda session, principal: service.move(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                to=to,
                reason=input.reason,
            ),
        )
