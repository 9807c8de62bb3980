"""GraphQL face of course enrollments."""

from __future__ import annotations

from datetime import date

import strawberry

from payable.core import permissions
from payable.graphql.booking_inputs import BookingInputBase, basics
from payable.graphql.booking_mutations import booking_payload
from payable.graphql.types.booking import BookingPayload, PayableBooking, booking_id
from payable.verticals.course import changes, models, service

AccessStatus = strawberry.enum(models.AccessStatus, name="AccessStatus")


@strawberry.type(description="A student in a course group for a period.")
class CourseEnrollment(PayableBooking):
    detail: strawberry.Private[models.CourseEnrollment]

    @strawberry.field
    def student_id(self) -> strawberry.ID:
        return strawberry.ID(self.detail.student_id)

    @strawberry.field
    def course_id(self) -> strawberry.ID:
        return strawberry.ID(self.detail.course_id)

    @strawberry.field
    def group_id(self) -> strawberry.ID:
        return strawberry.ID(self.detail.group_id)

    @strawberry.field
    def period_start(self) -> date:
        return self.detail.period_start

    @strawberry.field
    def period_end(self) -> date:
        return self.detail.period_end

    @strawberry.field(
        description="GRANTED while verified money covers every installment past its grace days;"
        " SUSPENDED when one is not, or while paused; NONE before any verified money; a"
        " manager's override (GRANTED or REVOKED) holds until lifted; REVOKED once cancelled."
    )
    def access_status(self) -> AccessStatus:
        return models.AccessStatus(self.detail.access_status)


@strawberry.input
class CreateCourseEnrollmentInput(BookingInputBase):
    student_id: strawberry.ID
    course_id: strawberry.ID
    group_id: strawberry.ID
    period_start: date
    period_end: date


@strawberry.type
class CourseMutations:
    @strawberry.mutation(description="Enroll a student; access opens after verified payment.")
    async def create_course_enrollment(
        self,
        info: strawberry.Info,
        input: CreateCourseEnrollmentInput,
        idempotency_key: str | None = None,
    ) -> BookingPayload:
        enrollment = service.Enrollment(
            input.student_id, input.course_id, input.group_id, input.period_start, input.period_end
        )
        return await booking_payload(
            info,
            permission=permissions.Action.CREATE_BOOKING,
            operation="createCourseEnrollment",
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: service.create(
                session=session, principal=principal, basics=basics(input), enrollment=enrollment
            ),
        )


@strawberry.input
class TransferEnrollmentInput:
    booking_id: strawberry.ID
    group_id: strawberry.ID
    reason: str


@strawberry.input
class EnrollmentChangeInput:
    booking_id: strawberry.ID
    reason: str


@strawberry.input
class OverrideAccessInput:
    booking_id: strawberry.ID
    access_status: AccessStatus = strawberry.field(
        description="GRANTED or REVOKED, held until lifted; NONE lifts it (access follows the"
        " money again)."
    )
    reason: str


@strawberry.type
class CourseChangeMutations:
    @strawberry.mutation(description="Move the student to another group; payments stay attached.")
    async def transfer_enrollment(
        self,
        info: strawberry.Info,
        input: TransferEnrollmentInput,
        idempotency_key: str | None = None,
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="transferEnrollment",
            permission=permissions.Action.CHANGE_BOOKING,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: changes.transfer(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                group_id=input.group_id,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(description="Pause: access is suspended until resumed.")
    async def pause_enrollment(
        self,
        info: strawberry.Info,
        input: EnrollmentChangeInput,
        idempotency_key: str | None = None,
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="pauseEnrollment",
            permission=permissions.Action.PAUSE_ACCESS,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: changes.pause(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                reason=input.reason,
            ),
        )

    @strawberry.mutation(description="Resume: access returns if verified money covers it.")
    async def resume_enrollment(
        self,
        info: strawberry.Info,
        input: EnrollmentChangeInput,
        idempotency_key: str | None = None,
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="resumeEnrollment",
            permission=permissions.Action.PAUSE_ACCESS,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: changes.resume(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                reason=input.reason,
            ),
        )

    @strawberry.mutation(
        description="A manager grants or revokes access by hand, or lifts that (MANUAL_OVERRIDE)."
    )
    async def override_access(
        self, info: strawberry.Info, input: OverrideAccessInput, idempotency_key: str | None = None
    ) -> BookingPayload:
        return await booking_payload(
            info,
            operation="overrideAccess",
            permission=permissions.Action.OVERRIDE_ACCESS,
            request=input,
            idempotency_key=idempotency_key,
            action=lambda session, principal: changes.override_access(
                session=session,
                principal=principal,
                booking_id=booking_id(input.booking_id),
                access=models.AccessStatus(input.access_status),
                reason=input.reason,
            ),
        )
