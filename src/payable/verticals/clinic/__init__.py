"""Clinic appointments: a specialist's time slot at a branch."""

from payable.graphql.vertical_api import VerticalApi
from payable.verticals.base import Vertical
from payable.verticals.clinic import demo, graphql, search
from payable.verticals.clinic.effects import after_payment, release_slot
from payable.verticals.clinic.models import KIND, ClinicAppointment

VERTICAL = Vertical(
    kind=KIND,
    detail_model=ClinicAppointment,
    serving=search.serving,
    filters=search.FILTERS,
    reference_prefix="CL",
    service_start=lambda detail: detail.slot_start,
    service_end=lambda detail: detail.slot_end,
    ended_by=lambda moment: ClinicAppointment.slot_end <= moment,
    after_payment=after_payment,
    on_close=release_slot,
    seed_demo=demo.seed,
    api=VerticalApi(
        booking_type=graphql.ClinicAppointment,
        create=graphql.ClinicMutations,
        changes=graphql.ClinicChangeMutations,
    ),
)
