"""The workshop seat in the API: its booking type, its create mutation and moving a seat."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry

from payable.bookings.refusals import CHANGING, BookingRefusal
from payable.core.permissions import Action
from payable.graphql.bookings.inputs import CREATE_REFUSALS, BookingInputBase, basics
from payable.graphql.bookings.payload import booking_payload
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.types.booking import PayableBooking, booking_id
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
    @mutation(
        role=Action.CREATE_BOOKING,
        answer=booking_payload,
        refusals=CREATE_REFUSALS,
        description="Book a seat in a workshop session.",
        idempotent=False,
    )
    async def create_workshop_seat(call: Call, input: CreateWorkshopSeatInput) -> uuid.UUID:
        seat = service.Seat(input.session_id, input.session_date, input.seat)
        return await service.create(
            session=call.session, principal=call.principal, basics=basics(input), seat=seat
        )


@strawberry.type
class WorkshopChangeMutations:
    @mutation(
        role=Action.CHANGE_BOOKING,
        answer=booking_payload,
        refusals=(*CHANGING, BookingRefusal.NO_CHANGE, BookingRefusal.DATE_IN_PAST),
        description="Move a seat to another session or seat.",
        idempotent=False,
    )
    async def move_workshop_seat(call: Call, input: MoveWorkshopSeatInput) -> uuid.UUID:
        to = service.Seat(input.session_id, input.session_date, input.seat)
        return await service.move(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            to=to,
            reason=input.reason,
        )
