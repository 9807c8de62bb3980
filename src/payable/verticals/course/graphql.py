"""GraphQL face of course enrollments."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

import strawberry

from payable.bookings.refusals import CHANGING, BookingRefusal
from payable.core.errors import CommonRefusal
from payable.core.permissions import Action
from payable.graphql.bookings.inputs import CREATE_REFUSALS, BookingInputBase, basics
from payable.graphql.bookings.payload import booking_payload
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.types.booking import PayableBooking, booking_id
from payable.verticals.course import changes, models, service
from payable.verticals.course.refusals import CourseRefusal

AccessStatus = strawberry.enum(models.AccessStatus, name="AccessStatus")


@strawberry.type(description="A student in a course group for a period.")
class CourseEnrollment(PayableBooking):
    detail: strawberry.Private[models.CourseEnrollment]
    # Fields that show the detail row's column of the same name as it is: a list renders
    # them in SQL (graphql/json_nodes).
    detail_columns: ClassVar[tuple[str, ...]] = (
        "student_id",
        "course_id",
        "group_id",
        "period_start",
        "period_end",
        "access_status",
    )

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
    @mutation(
        role=Action.CREATE_BOOKING,
        answer=booking_payload,
        refusals=(*CREATE_REFUSALS, CommonRefusal.INVALID_PERIOD),
        description="Enroll a student; access opens after verified payment.",
    )
    async def create_course_enrollment(call: Call, input: CreateCourseEnrollmentInput) -> uuid.UUID:
        enrollment = service.Enrollment(
            input.student_id, input.course_id, input.group_id, input.period_start, input.period_end
        )
        return await service.create(
            session=call.session,
            principal=call.principal,
            basics=basics(input),
            enrollment=enrollment,
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
    @mutation(
        role=Action.CHANGE_BOOKING,
        answer=booking_payload,
        refusals=(*CHANGING, BookingRefusal.NO_CHANGE, BookingRefusal.INVALID_FIELD),
        description="Move the student to another group; payments stay attached.",
    )
    async def transfer_enrollment(call: Call, input: TransferEnrollmentInput) -> uuid.UUID:
        return await changes.transfer(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            group_id=input.group_id,
            reason=input.reason,
        )

    @mutation(
        role=Action.PAUSE_ACCESS,
        answer=booking_payload,
        refusals=(*CHANGING, CourseRefusal.ALREADY_PAUSED),
        description="Pause: access is suspended until resumed.",
    )
    async def pause_enrollment(call: Call, input: EnrollmentChangeInput) -> uuid.UUID:
        return await changes.pause(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            reason=input.reason,
        )

    @mutation(
        role=Action.PAUSE_ACCESS,
        answer=booking_payload,
        refusals=(*CHANGING, CourseRefusal.NOT_PAUSED),
        description="Resume: access returns if verified money covers it.",
    )
    async def resume_enrollment(call: Call, input: EnrollmentChangeInput) -> uuid.UUID:
        return await changes.resume(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            reason=input.reason,
        )

    @mutation(
        role=Action.OVERRIDE_ACCESS,
        answer=booking_payload,
        refusals=(*CHANGING, BookingRefusal.NO_CHANGE, CourseRefusal.INVALID_ACCESS),
        description="A manager grants or revokes access by hand, or lifts that (MANUAL_OVERRIDE).",
    )
    async def override_access(call: Call, input: OverrideAccessInput) -> uuid.UUID:
        return await changes.override_access(
            session=call.session,
            principal=call.principal,
            booking_id=booking_id(input.booking_id),
            access=models.AccessStatus(input.access_status),
            reason=input.reason,
        )
