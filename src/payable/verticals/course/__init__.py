"""Course enrollments: a student in a group for a period, with access that follows payment."""

from payable.bookings.enums import BookingKind
from payable.core.clock import start_of_day
from payable.verticals.base import Vertical
from payable.verticals.course.effects import after_payment, revoke_on_close
from payable.verticals.course.models import CourseEnrollment

VERTICAL = Vertical(
    kind=BookingKind.COURSE_ENROLLMENT,
    detail_model=CourseEnrollment,
    reference_prefix="CO",
    service_start=lambda detail: start_of_day(detail.period_start),
    after_payment=after_payment,
    on_close=revoke_on_close,
)
