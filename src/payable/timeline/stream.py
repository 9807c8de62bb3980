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
    hidden: frozenset[str] = frozenset()  # event types the subscriber may not see

    def accepts(self, event: BookingEvent, booking_kind: str) -> bool:
        """The same filter as the query below, for events already read."""
        return (
            event.tenant_id == self.tenant_id
            and event.type not in self.hidden
            and (self.booking_id is None or event.booking_id == self.booking_id)
            and (self.kind is None or booking_kind == self.kind)
        )


def _matching(where: StreamFilter, sequence: int):  # type: ignore[no-untyped-def]
    query = select(BookingEvent).where(
        BookingEvent.tenant_id == where.tenant_id, BookingEvent.sequence > sequence
    )
    if where.hidden:
        query = query.where(BookingEvent.type.not_in(where.hidden))
    if where.booking_id is not None:
        query = query.where(BookingEvent.booking_id == where.booking_id)
    if where.kind is not None:
        query = query.join(Booking, Booking.id == BookingEvent.booking_id).where(
            Booking.kind == where.kind
        )
    return query


async def after(
    *, session: AsyncSession, where: StreamFilter, sequence: int, limit: int
) -> list[BookingEvent]:
    """Committed events later than ``sequence`` that match, oldest first."""
    query = _matching(where, sequence).order_by(BookingEvent.sequence).limit(limit)
    return list((await session.execute(query)).scalars())


async def head(*, session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """The tenant's latest committed sequence: where a stream without ``after`` starts."""
    latest = await session.scalar(
        select(func.max(BookingEvent.sequence)).where(BookingEvent.tenant_id == tenant_id)
    )
    return latest or 0
