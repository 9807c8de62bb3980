"""Course enrollments: a student in a group for a period, with access that follows payment."""

from payable.bookings.enums import BookingKind
from payable.core.clock import business_date, end_of_day, start_of_day
from payable.verticals.base import Vertical
from payable.verticals.course import access
from payable.verticals.course.models import CourseEnrollment

VERTICAL = Vertical(
    kind=BookingKind.COURSE_ENROLLMENT,
    detail_model=CourseEnrollment,
    reference_prefix="CO",
    service_start=lambda detail: start_of_day(detail.period_start),
    service_end=lambda detail: end_of_day(detail.period_end),
    ended_by=lambda moment: CourseEnrollment.period_end < business_date(moment),
    derive=access.sync,
    stale_on=access.stale_on,
)
