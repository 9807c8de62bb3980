"""CRM notes on the timeline: admin, operator and support write and read them (who sees them
is ``timeline.visibility``'s rule)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import service as bookings
from payable.core.principal import Principal
from payable.core.text import limit
from payable.timeline import service as timeline
from payable.timeline.events import EventType
from payable.timeline.refusals import TimelineRefusal

MAX_LENGTH = 2000


async def add(
    *, session: AsyncSession, principal: Principal, booking_id: uuid.UUID, text: str
) -> uuid.UUID:
    if not limit(text, field="text", max_length=MAX_LENGTH):
        raise TimelineRefusal.INVALID_NOTE.error("text")
    booking = await bookings.lock(
        session=session, tenant_id=principal.tenant_id, booking_id=booking_id
    )
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type=EventType.NOTE.value,
        actor=principal.sub,
        reason=None,
        data={"text": text.strip()},
    )
    return booking.id
