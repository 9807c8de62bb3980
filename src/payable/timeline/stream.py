"""Reading a tenant's events in sequence order, for subscriptions (replay, then live)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.models import Booking
from payable.timeline.models import BookingEvent


@dataclass(frozen=True, slots=True)
class StreamFilter:
    tenant_id: uuid.UUID
    booking_id: uuid.UUID | None = None
    kind: str | None = None


async def after(
    *, session: AsyncSession, where: StreamFilter, sequence: int, limit: int
) -> list[BookingEvent]:
    """Committed events later than ``sequence`` that match, oldest first."""
    query = select(BookingEvent).where(
        BookingEvent.tenant_id == where.tenant_id, BookingEvent.sequence > sequence
    )
    if where.booking_id is not None:
        query = query.where(BookingEvent.booking_id == where.booking_id)
    if where.kind is not None:
        query = query.join(Booking, Booking.id == BookingEvent.booking_id).where(
            Booking.kind == where.kind
        )
    query = query.order_by(BookingEvent.sequence).limit(limit)
    return list((await session.execute(query)).scalars())


async def head(*, session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """The tenant's latest committed sequence: where a stream without ``after`` starts."""
    latest = await session.scalar(
        select(func.max(BookingEvent.sequence)).where(BookingEvent.tenant_id == tenant_id)
    )
    return latest or 0
