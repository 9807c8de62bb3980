"""Appending to the timeline; the only way events are written."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from payable.timeline.events import EventType
from payable.timeline.models import BookingEvent

CHANNEL = "booking_events"
_MARK = "timeline.notified"

# Wakes listeners at commit (NOTIFY is transactional). Sent once per transaction and tenant:
# NOTIFY takes a global lock at commit, so fewer is better.
_NOTIFY = text("SELECT pg_notify(:channel, :tenant)")


async def append(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    booking_id: uuid.UUID,
    type: EventType,
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
    await _notify_once(session, tenant_id)


async def _notify_once(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    transaction = session.get_transaction()
    mark = session.info.get(_MARK)
    if mark is None or mark[0] is not transaction:
        mark = (transaction, set())
        session.info[_MARK] = mark
    if tenant_id not in mark[1]:
        await session.execute(_NOTIFY, {"channel": CHANNEL, "tenant": str(tenant_id)})
        mark[1].add(tenant_id)
