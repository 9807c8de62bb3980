from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.reviews.models import ReviewTask


async def listing(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    status: str | None,
    kinds: list[str] | None,
    limit: int,
) -> list[ReviewTask]:
    """The tenant's tasks, oldest first (the queue order)."""
    query = select(ReviewTask).where(ReviewTask.tenant_id == tenant_id)
    if status is not None:
        query = query.where(ReviewTask.status == status)
    if kinds:
        query = query.where(ReviewTask.kind.in_(kinds))
    return list(
        (
            await session.execute(query.order_by(ReviewTask.created_at, ReviewTask.id).limit(limit))
        ).scalars()
    )


async def by_id(
    *, session: AsyncSession, tenant_id: uuid.UUID, task_id: uuid.UUID
) -> ReviewTask | None:
    """One of the tenant's tasks; None for an unknown id or another tenant's."""
    return await session.scalar(
        select(ReviewTask).where(ReviewTask.tenant_id == tenant_id, ReviewTask.id == task_id)
    )
