"""After any fact that can change money, the schedule or dates: let the vertical re-derive."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import reminder_tasks
from payable.bookings import service as bookings
from payable.bookings.models import Booking
from payable.core import clock
from payable.db.engine import Database
from payable.verticals import registry


async def refresh(session: AsyncSession, booking: Booking, *, today: date | None = None) -> None:
    """Run the booking's vertical ``derive`` hook in the caller's transaction, and close the
    reminders the fact made moot. ``today`` is the business day (the day tick's)."""
    day = today or clock.today()
    await registry.get(booking.kind).derive(session, booking, day)
    await reminder_tasks.close_moot(session, booking)


async def refresh_stale(*, db: Database, today: date) -> int:
    """The day tick: re-derive the bookings a passing day may have changed, one transaction
    each; how many were looked at."""
    stale: list[tuple[uuid.UUID, uuid.UUID]] = []
    async with db.session() as session:
        for vertical in registry.all_verticals():
            if vertical.stale_on is not None:
                stale.extend((await session.execute(vertical.stale_on(today))).all())
    for booking_id, tenant_id in stale:
        async with db.session() as session, session.begin():
            booking = await bookings.lock(
                session=session, tenant_id=tenant_id, booking_id=booking_id
            )
            await refresh(session, booking, today=today)
    return len(stale)
