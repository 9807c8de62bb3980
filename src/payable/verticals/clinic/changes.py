"""Moving an appointment to another slot (and perhaps another specialist)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import changes, dates
from payable.core.principal import Principal
from payable.timeline.events import EventType
from payable.verticals import registry
from payable.verticals.clinic.models import KIND
from payable.verticals.clinic.refusals import ClinicRefusal
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
        vertical=registry.get(KIND),
        reason=reason,
    )
    new = Appointment(
        current.service_id,
        specialist_id or current.specialist_id,
        current.branch_id,
        slot_start,
        slot_end,
    )
    new.validate()
    key = await specialist_key(session, principal.tenant_id, new.specialist_id)
    before = changes.snapshot(current, "specialist_id", "slot_start", "slot_end")
    try:
        async with session.begin_nested():
            current.specialist_id = new.specialist_id
            current.specialist_key = key
            current.slot_start = slot_start
            current.slot_end = slot_end
            await session.flush()
    except IntegrityError as error:
        if SLOT_CONSTRAINT in str(error.orig):
            raise ClinicRefusal.SLOT_TAKEN.error("slotStart") from None
        raise
    moved = await dates.pull_forward(session, booking.id, dates.slot_day(slot_start))
    await changes.record(
        session=session,
        booking=booking,
        event=EventType.RESCHEDULED,
        actor=principal.sub,
        reason=reason,
        before=before,
        **({"due_dates_moved": moved} if moved else {}),
    )
    return booking.id
