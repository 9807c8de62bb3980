"""GraphQL face of clinic appointments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

import strawberry

from payable.bookings.refusals import CHANGING, BookingRefusal
from payable.core.permissions import Action
from payable.graphql.bookings.inputs import CREATE_REFUSALS, BookingInputBase, basics
from payable.graphql.bookings.payload import booking_payload
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.types.booking import PayableBooking, booking_id
from payable.verticals.clinic import changes, models, service
from payable.verticals.clinic.refusals import ClinicRefusal


@strawberry.type(description="A specialist's time slot at a branch.")
class ClinicAppointment(PayableBooking):
    detail: strawberry.Private[models.ClinicAppointment]
    # Fields that show the detail row's column of the same name as it is: a list renders
    # them in SQL (graphql/json_nodes).
    detail_columns: ClassVar[tuple[str, ...]] = (
        "service_id",
        "specialist_id",
        "branch_id",
        "slot_start",
        "slot_end",
    )

    @strawberry.field
    def service_id(self) -> strawberry.ID:
        return strawberry.ID(self.detail.service_id)

    @strawberry.field
    def specialist_id(self) -> strawberry.ID:
        return strawberry.ID(self.detail.specialist_id)

    @strawberry.field
    def branch_id(self) -> strawberry.ID:
        return strawberry.ID(self.detail.branch_id)

    @strawberry.field
    def slot_start(self) -> datetime:
        return self.detail.slot_start

    @strawberry.field
    def slot_end(self) -> datetime:
        return self.detail.slot_end


@strawberry.input
class CreateClinicAppointmentInput(BookingInputBase):
    service_id: strawberry.ID
    specialist_id: strawberry.ID
    branch_id: strawberry.ID
    slot_start: datetime
    slot_end: datetime


@strawberry.type
class ClinicMutations:
    @mutation(
        role=Action.CREATE_BOOKING,
        answer=booking_payload,
        refusals=(*CREATE_REFUSALS, BookingRefusal.SLOT_TOO_LONG, ClinicRefusal),
        description="Book a slot. Refused with SLOT_TAKEN when the specialist is busy at that"
        " time.",
    )
    async def create_clinic_appointment(
        call: Call, input: CreateClinicAppointmentInput
    ) -> uuid.UUID:
        appointment = service.Appointment(
            input.service_id, input.specialist_id, input.branch_id, input.slot_start, input.slot_end
        )
        return await service.create(
            session=call.session,
            principal=call.principal,
            basics=basics(input),
            appointment=appointment,
        )


@strawberry.input
class RescheduleAppointmentInput:
    booking_id: strawberry.ID
    slot_start: datetime
    slot_end: datetime
    specialist_id: strawberry.ID | None = None
    reason: str


@strawberry.type
class ClinicChangeMutations:
    @mutation(
        role=Action.CHANGE_BOOKING,
        answer=booking_payload,
        refusals=(
            *CHANGING,
            BookingRefusal.DATE_IN_PAST,
            BookingRefusal.SLOT_TOO_LONG,
            BookingRefusal.INVALID_FIELD,
            BookingRefusal.NO_CHANGE,
            ClinicRefusal,
        ),
        description="Move to another slot (and perhaps specialist); payments stay attached.",
    )
    async def reschedule_appointment(call: Call, input: RescheduleAppointmentInput) -> uuid.UUID:
        return await changes.reschedule(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            slot_start=input.slot_start,
            slot_end=input.slot_end,
            specialist_id=input.specialist_id,
            reason=input.reason,
        )
