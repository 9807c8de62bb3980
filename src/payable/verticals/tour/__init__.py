"""Tour bookings: participants on a package's departure date, usually deposit then balance."""

from payable.bookings.enums import BookingKind
from payable.verticals.base import Vertical
from payable.verticals.tour.effects import after_payment
from payable.verticals.tour.models import TourBooking

VERTICAL = Vertical(BookingKind.TOUR_BOOKING, TourBooking, "TR", after_payment)
