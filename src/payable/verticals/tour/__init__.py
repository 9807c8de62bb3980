"""Tour bookings: participants on a package's departure date, usually deposit then balance."""

from payable.bookings.enums import BookingKind
from payable.core.clock import business_date, end_of_day, start_of_day
from payable.verticals.base import Vertical
from payable.verticals.tour.effects import after_payment
from payable.verticals.tour.models import TourBooking

VERTICAL = Vertical(
    kind=BookingKind.TOUR_BOOKING,
    detail_model=TourBooking,
    reference_prefix="TR",
    service_start=lambda detail: start_of_day(detail.tour_date),
    # The departure day: the booking knows no return date.
    service_end=lambda detail: end_of_day(detail.tour_date),
    ended_by=lambda moment: TourBooking.tour_date < business_date(moment),
    after_payment=after_payment,
)
