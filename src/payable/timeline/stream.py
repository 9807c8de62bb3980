"""Reading a tenant's events in sequence order, for subscriptions (replay, then live)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import queries
from payable.bookings.models import Booking
from payable.bookings.queries import BookingView
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


async def after_with_bookings(
    *, session: AsyncSession, tenant_id: uuid.UUID, sequence: int, limit: int
) -> list[tuple[BookingEvent, BookingView]]:
    """The tenant's events later than ``sequence``, oldest first, each with its booking as
    it is now: one statement (the live feed's read, between a commit and its fan-out)."""
    query = queries.with_details(BookingEvent, on=Booking.id == BookingEvent.booking_id)
    query = query.where(BookingEvent.tenant_id == tenant_id, BookingEvent.sequence > sequence)
    rows = await session.execute(query.order_by(BookingEvent.sequence).limit(limit))
    return [(row[0], queries.view_of(row, 1)) for row in rows]
