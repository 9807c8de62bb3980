"""A booking's payment status, derived from verified money, open links and open reviews."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# One statement, so the status never disagrees with the rows it is derived from. Reminders
# and override requests are tasks too, but they are not a review of the money.
_RECOMPUTE = text(
    """
    UPDATE bookings b SET payment_status = CASE
        WHEN EXISTS (SELECT 1 FROM review_tasks t
                     WHERE t.booking_id = b.id AND t.status = 'OPEN'
                       AND t.kind NOT IN ('REMINDER', 'OVERRIDE_REQUEST'))
            THEN 'MANUAL_REVIEW'
        WHEN b.amount_paid >= b.price THEN 'PAID'
        WHEN b.amount_paid > 0 THEN 'DEPOSIT_PAID'
        WHEN EXISTS (SELECT 1 FROM payment_requests r
                     WHERE r.booking_id = b.id AND r.status = 'PENDING') THEN 'PENDING'
        ELSE 'UNPAID'
    END, updated_at = now()
    WHERE b.id = :booking_id
    """
)


async def recompute(session: AsyncSession, booking_id: uuid.UUID) -> None:
    await session.execute(_RECOMPUTE, {"booking_id": booking_id})
