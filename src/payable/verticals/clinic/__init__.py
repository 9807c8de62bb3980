"""Clinic appointments: a specialist's time slot at a branch."""

from payable.bookings.enums import BookingKind
from payable.verticals.base import Vertical
from payable.verticals.clinic.effects import after_payment, release_slot
from payable.verticals.clinic.models import ClinicAppointment

VERTICAL = Vertical(
    kind=BookingKind.CLINIC_APPOINTMENT,
    detail_model=ClinicAppointment,
    reference_prefix="CL",
    service_start=lambda detail: detail.slot_start,
    service_end=lambda detail: detail.slot_end,
    ended_by=lambda moment: ClinicAppointment.slot_end <= moment,
    after_payment=after_payment,
    on_close=release_slot,
)
