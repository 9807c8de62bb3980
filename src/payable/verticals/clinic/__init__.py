"""Clinic appointments: a specialist's time slot at a branch."""

from payable.bookings.enums import BookingKind
from payable.verticals.base import Vertical
from payable.verticals.clinic.effects import after_payment
from payable.verticals.clinic.models import ClinicAppointment

VERTICAL = Vertical(BookingKind.CLINIC_APPOINTMENT, ClinicAppointment, "CL", after_payment)
