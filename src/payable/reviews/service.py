"""Raising review tasks, in the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.reviews.models import ReviewTask, TaskKind, TaskStatus


async def raise_task(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    booking_id: uuid.UUID,
    kind: TaskKind,
    payment_request_id: uuid.UUID | None = None,
    payment_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> uuid.UUID:
    task_id = uuid.uuid4()
    await session.execute(
        insert(ReviewTask.__table__).values(
            id=task_id,
            tenant_id=tenant_id,
            booking_id=booking_id,
            kind=kind.value,
            status=TaskStatus.OPEN.value,
            payment_request_id=payment_request_id,
            payment_id=payment_id,
            details=details or {},
        )
    )
    return task_id
