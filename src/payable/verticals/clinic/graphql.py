"""GraphQL face of clinic appointments."""

from __future__ import annotations

from datetime import datetime

import strawberry

from payable.core import permissions
from payable.graphql.booking_inputs import BookingInputBase, basics
from payable.graphql.booking_mutations import booking_payload
from payable.graphql.types.booking import BookingPayload, PayableBooking, booking_id
from payable.verticals.clinic import changes, models, service


@strawberry.type(description="A specialist's time slot at a branch.")
class ClinicAppointment(PayableBooking):
    detail: strawberry.Private[models.ClinicAppointment]

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
    @strawberry.mutation(
        description="Book a slot. Refused with SLOT_TAKEN when the specialist is busy at that time."
    )
    async def create_clinic_appointment(
        self,
        info: strawberry.Info,
        input: CreateClinicAppointmentInput,
        idempotency_key: str | None = None,
    ) -> BookingPayload:
        appointment = service.Appointment(
            input.service_id, input.specialist_id, input.branch_id, input.slot_start, input.slot_end
        )
        return await booking_payload(
            info,
            permission=permissions.Action.CREATE_BOOKING,
            operation="createClinicAppointment",
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: service.create(
                session=session, principal=principal, basics=basics(input), appointment=appointment
            ),
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
    @strawberry.mutation(
        description="Move to another slot (and perhaps specialist); payments stay attached."
    )
    async def reschedule_appointment(
        self,
        info: strawberry.Info,
        input: RescheduleAppointmentInput,
        idempotency_key: str | None = None,
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="rescheduleAppointment",
            permission=permissions.Action.CHANGE_BOOKING,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: changes.reschedule(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                slot_start=input.slot_start,
                slot_end=input.slot_end,
                specialist_id=input.specialist_id,
                reason=input.reason,
            ),
        )
