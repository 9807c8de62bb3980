"""Appending to the timeline; the only way events are written."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.timeline.models import BookingEvent


async def append(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    booking_id: uuid.UUID,
    type: str,
    actor: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record one event in the caller's transaction."""
    await session.execute(
        insert(BookingEvent.__table__).values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            booking_id=booking_id,
            type=type,
            actor=actor,
            reason=reason,
            data=data or {},
        )
    )
