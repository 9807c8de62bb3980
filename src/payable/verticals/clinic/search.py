"""Finding clinic appointments: the filters on their own fields and the indexes behind them.
Clinic rows carry their tenant, so their indexes lead with it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import Index, Select, select

from payable.core import clock
from payable.verticals.clinic.models import ClinicAppointment

_clinic = ClinicAppointment.__table__.c

FILTERS = {
    "specialist_id": _clinic.specialist_id,
    "branch_id": _clinic.branch_id,
    "service_id": _clinic.service_id,
}

INDEXES = (
    Index("ix_clinic_appointments_tenant_slot", _clinic.tenant_id, _clinic.slot_start),
    Index(
        "ix_clinic_appointments_tenant_specialist",
        _clinic.tenant_id,
        _clinic.specialist_id,
        _clinic.slot_start,
    ),
    Index(
        "ix_clinic_appointments_tenant_branch",
        _clinic.tenant_id,
        _clinic.branch_id,
        _clinic.slot_start,
    ),
    Index(
        "ix_clinic_appointments_tenant_service",
        _clinic.tenant_id,
        _clinic.service_id,
        _clinic.slot_start,
    ),
)


def serving(tenant_id: uuid.UUID, first: date | None, last: date | None) -> Select:
    """Appointments whose slot starts on a business day from ``first`` to ``last``."""
    query = select(_clinic.booking_id).where(_clinic.tenant_id == tenant_id)
    if first is not None:
        query = query.where(_clinic.slot_start >= clock.start_of_day(first))
    if last is not None:
        query = query.where(_clinic.slot_start < clock.start_of_day(last + timedelta(days=1)))
    return query
