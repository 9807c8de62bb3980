"""Moving an appointment to another slot (and perhaps another specialist)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import changes
from payable.core import permissions
from payable.core.errors import DomainError
from payable.core.principal import Principal
from payable.verticals.clinic import VERTICAL
from payable.verticals.clinic.models import ClinicAppointment
from payable.verticals.clinic.service import SLOT_CONSTRAINT, Appointment, specialist_key


async def reschedule(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    slot_start: datetime,
    slot_end: datetime,
    specialist_id: str | None,
    reason: str,
) -> uuid.UUID:
    booking, reason, current = await changes.open_detail_change(
        session=session,
        principal=principal,
        booking_id=booking_id,
        vertical=VERTICAL,
        action=permissions.Action.CHANGE_BOOKING,
        reason=reason,
    )
    old = Appointment(
        current.service_id,
        current.specialist_id,
        current.branch_id,
        current.slot_start,
        current.slot_end,
    )
    new = dataclasses.replace(
        old,
        slot_start=slot_start,
        slot_end=slot_end,
        specialist_id=specialist_id or old.specialist_id,
    )
    new.validate()
    key = await specialist_key(session, principal.tenant_id, new.specialist_id)
    try:
        async with session.begin_nested():
            await session.execute(
                update(ClinicAppointment)
                .where(ClinicAppointment.booking_id == booking.id)
                .values(
                    specialist_id=new.specialist_id,
                    specialist_key=key,
                    slot_start=slot_start,
                    slot_end=slot_end,
                )
            )
    except IntegrityError as error:
        if SLOT_CONSTRAINT in str(error.orig):
            raise DomainError(
                "SLOT_TAKEN", "the specialist already has an appointment in this time", "slotStart"
            ) from None
        raise
    fields = ("specialist_id", "slot_start", "slot_end")
    await changes.record(
        session=session,
        booking=booking,
        event="RESCHEDULED",
        actor=principal.sub,
        reason=reason,
        old={f: getattr(old, f) for f in fields},
        new={f: getattr(new, f) for f in fields},
    )
    return booking.id
