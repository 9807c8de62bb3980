"""Course enrollments: a student in a group for a period, with access that follows payment."""

from payable.bookings.enums import BookingKind
from payable.verticals.base import Vertical
from payable.verticals.course.effects import after_payment
from payable.verticals.course.models import CourseEnrollment

VERTICAL = Vertical(BookingKind.COURSE_ENROLLMENT, CourseEnrollment, "CO", after_payment)
