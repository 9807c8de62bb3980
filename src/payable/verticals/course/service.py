"""Course rules: a period that does not end before it starts; access opens only once paid."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import dates
from payable.bookings import service as bookings
from payable.core.errors import CommonRefusal
from payable.core.principal import Principal
from payable.verticals import registry
from payable.verticals.course.models import KIND, AccessStatus, CourseEnrollment
from payable.verticals.fields import require_text


@dataclass(frozen=True, slots=True)
class Enrollment:
    student_id: str
    course_id: str
    group_id: str
    period_start: date
    period_end: date

    def validate(self) -> None:
        for name in ("student_id", "course_id", "group_id"):
            require_text(getattr(self, name), name)
        if self.period_end < self.period_start:
            raise CommonRefusal.INVALID_PERIOD.error("periodEnd")


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    basics: bookings.BookingBasics,
    enrollment: Enrollment,
) -> uuid.UUID:
    enrollment.validate()
    dates.day_not_past(enrollment.period_start, "periodStart")

    async def add_details(session: AsyncSession, booking_id: uuid.UUID) -> None:
        await session.execute(
            insert(CourseEnrollment.__table__).values(
                booking_id=booking_id, access_status=AccessStatus.NONE.value, **asdict(enrollment)
            )
        )

    return await bookings.create(
        session=session,
        principal=principal,
        new=bookings.NewBooking(
            vertical=registry.get(KIND),
            basics=basics,
            details=asdict(enrollment),
            add_details=add_details,
            # Tuition may be spread over the course, never beyond its end.
            due_by=enrollment.period_end,
        ),
    )
