"""Appending to the timeline; the only way events are written."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from payable.timeline.models import BookingEvent

CHANNEL = "booking_events"
_MARK = "timeline.transaction"

# Gives the transaction its id now (so every event of it carries the id it commits under) and
# wakes listeners at commit. PostgreSQL folds identical notifications of one transaction into
# one, and this runs once per transaction and tenant anyway.
_BEGIN = text("SELECT pg_current_xact_id()::text::bigint, pg_notify(:channel, :tenant)")


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
            txid=await _transaction_id(session, tenant_id),
            tenant_id=tenant_id,
            booking_id=booking_id,
            type=type,
            actor=actor,
            reason=reason,
            data=data or {},
        )
    )


async def _transaction_id(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    transaction = session.get_transaction()
    mark = session.info.get(_MARK)
    if mark is None or mark[0] is not transaction:
        mark = (transaction, {})
        session.info[_MARK] = mark
    notified: dict[uuid.UUID, int] = mark[1]
    if tenant_id not in notified:
        result = await session.execute(_BEGIN, {"channel": CHANNEL, "tenant": str(tenant_id)})
        notified[tenant_id] = result.scalar_one()
    return notified[tenant_id]
