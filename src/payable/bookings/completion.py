"""Finishing bookings: the service was delivered, on a person's word or a while after it ended.

Only a CONFIRMED booking completes: one nobody paid for is a person's call (cancel, no-show).
Completion moves no money; what is still owed stays owed, and the refund path becomes NONE.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import changes
from payable.bookings import service as bookings
from payable.bookings.enums import BookingStatus
from payable.bookings.models import Booking
from payable.bookings.refusals import BookingRefusal
from payable.core import clock
from payable.core.principal import Principal
from payable.db.engine import Database
from payable.timeline.events import EventType
from payable.verticals import registry

SYSTEM = "system"


async def complete(
    *, session: AsyncSession, principal: Principal, booking_id: uuid.UUID, reason: str | None
) -> uuid.UUID:
    """A person says the service was delivered; only once it has begun."""
    booking = await bookings.lock(
        session=session, tenant_id=principal.tenant_id, booking_id=booking_id
    )
    changes.require_live(booking)
    if booking.status != BookingStatus.CONFIRMED.value:
        raise BookingRefusal.NOT_CONFIRMED.error("bookingId")
    vertical = registry.get(booking.kind)
    starts = vertical.service_start(await session.get(vertical.detail_model, booking.id))
    if clock.now() < starts:
        raise BookingRefusal.NOT_STARTED.error(
            "bookingId", f"the service starts at {starts.isoformat()}"
        )
    reason = reason.strip() if reason and reason.strip() else None
    await _mark(session, booking, actor=principal.sub, reason=reason)
    return booking.id


async def complete_finished(*, db: Database, after: timedelta) -> int:
    """The worker's step: complete every CONFIRMED booking whose service ended more than
    ``after`` ago, each in its own transaction; how many were completed."""
    moment = clock.now() - after
    due: list[tuple[uuid.UUID, uuid.UUID]] = []
    async with db.session() as session:
        for vertical in registry.all_verticals():
            detail = vertical.detail_model
            rows = await session.execute(
                select(Booking.id, Booking.tenant_id)
                .join(detail, detail.booking_id == Booking.id)
                .where(Booking.status == BookingStatus.CONFIRMED.value, vertical.ended_by(moment))
                .order_by(Booking.id)
            )
            due.extend(rows.all())
    completed = 0
    for booking_id, tenant_id in due:
        async with db.session() as session, session.begin():
            booking = await bookings.lock(
                session=session, tenant_id=tenant_id, booking_id=booking_id
            )
            if booking.status != BookingStatus.CONFIRMED.value:
                continue  # a person (or another worker) got there first
            hours = f"{after.total_seconds() / 3600:g}"
            await _mark(
                session, booking, actor=SYSTEM, reason=f"the service ended over {hours} h ago"
            )
            completed += 1
    return completed


async def _mark(session: AsyncSession, booking: Booking, *, actor: str, reason: str | None) -> None:
    before = changes.snapshot(booking, "status")
    booking.status = BookingStatus.COMPLETED.value
    # ``record`` writes old/new and lets the vertical re-derive (e.g. course access).
    await changes.record(
        session=session,
        booking=booking,
        event=EventType.COMPLETED,
        actor=actor,
        reason=reason,
        before=before,
    )
