"""After any fact that can change money, the schedule or dates: let the vertical re-derive."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.enums import BookingKind
from payable.bookings.models import Booking


async def refresh(session: AsyncSession, booking: Booking) -> None:
    """Run the booking's vertical ``derive`` hook in the caller's transaction."""
    from payable.verticals import VERTICALS  # the registry imports every vertical

    await VERTICALS[BookingKind(booking.kind)].derive(session, booking)
