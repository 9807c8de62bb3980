"""Clinic rules: a slot must end after it starts, and a specialist's live slots never overlap."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import dates
from payable.bookings import service as bookings
from payable.core.principal import Principal
from payable.verticals import registry
from payable.verticals.clinic.models import KIND, ClinicAppointment, ClinicSpecialist
from payable.verticals.clinic.refusals import ClinicRefusal
from payable.verticals.fields import require_text

SLOT_CONSTRAINT = "ex_clinic_appointments_specialist_slot"


@dataclass(frozen=True, slots=True)
class Appointment:
    service_id: str
    specialist_id: str
    branch_id: str
    slot_start: datetime
    slot_end: datetime

    def validate(self) -> None:
        for name in ("service_id", "specialist_id", "branch_id"):
            require_text(getattr(self, name), name)
        if self.slot_start.tzinfo is None or self.slot_end.tzinfo is None:
            raise ClinicRefusal.INVALID_SLOT.error("slotStart", "slot times need a UTC offset")
        if self.slot_end <= self.slot_start:
            raise ClinicRefusal.INVALID_SLOT.error("slotEnd", "slotEnd must be after slotStart")
        dates.slot_length(self.slot_start, self.slot_end)
        dates.slot_not_past(self.slot_start)


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    basics: bookings.BookingBasics,
    appointment: Appointment,
) -> uuid.UUID:
    appointment.validate()

    async def add_details(session: AsyncSession, booking_id: uuid.UUID) -> None:
        key = await specialist_key(session, principal.tenant_id, appointment.specialist_id)
        try:
            async with session.begin_nested():
                await session.execute(
                    insert(ClinicAppointment.__table__).values(
                        booking_id=booking_id,
                        tenant_id=principal.tenant_id,
                        specialist_key=key,
                        **asdict(appointment),
                    )
                )
        except IntegrityError as error:
            if SLOT_CONSTRAINT in str(error.orig):
                raise ClinicRefusal.SLOT_TAKEN.error("slotStart") from None
            raise

    return await bookings.create(
        session=session,
        principal=principal,
        new=bookings.NewBooking(
            vertical=registry.get(KIND),
            basics=basics,
            details=asdict(appointment),
            add_details=add_details,
            due_by=dates.slot_day(appointment.slot_start),
        ),
    )


async def specialist_key(session: AsyncSession, tenant_id: uuid.UUID, specialist_id: str) -> int:
    table = ClinicSpecialist.__table__
    await session.execute(
        upsert(table)
        .values(tenant_id=tenant_id, external_id=specialist_id)
        .on_conflict_do_nothing()
    )
    found = await session.execute(
        select(table.c.key).where(
            table.c.tenant_id == tenant_id, table.c.external_id == specialist_id
        )
    )
    return found.scalar_one()
