"""Month close: what the month moved, per vertical and currency, and its exceptions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.reconciliation.models import ReconciliationException
from payable.reports import ledger
from payable.reports.periods import month_range
from payable.reviews.models import ReviewTask, TaskStatus


@dataclass
class Totals:
    kind: str
    currency: str
    captured: Decimal = Decimal("0.00")
    refunded: Decimal = Decimal("0.00")


@dataclass
class MonthClose:
    month: str
    totals: list[Totals] = field(default_factory=list)
    exceptions_opened: int = 0
    exceptions_closed: int = 0
    exceptions_open: int = 0  # of those opened this month, still open


async def close(*, session: AsyncSession, tenant_id: uuid.UUID, month: str) -> MonthClose:
    start, end = month_range(month)
    totals: dict[tuple[str, str], Totals] = {}
    async for move in ledger.movements(session=session, tenant_id=tenant_id, start=start, end=end):
        line = totals.setdefault((move.kind, move.currency), Totals(move.kind, move.currency))
        if move.type == "PAYMENT":
            line.captured += move.amount
        else:
            line.refunded += move.amount
    exceptions = ReconciliationException
    opened = (
        select(exceptions.id, ReviewTask.status, ReviewTask.resolved_at)
        .outerjoin(ReviewTask, ReviewTask.id == exceptions.task_id)
        .where(
            exceptions.tenant_id == tenant_id,
            exceptions.created_at >= start,
            exceptions.created_at < end,
        )
        .subquery()
    )
    counts = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(opened.c.status == TaskStatus.OPEN.value),
            ).select_from(opened)
        )
    ).one()
    closed = await session.scalar(
        select(func.count())
        .select_from(exceptions)
        .join(ReviewTask, ReviewTask.id == exceptions.task_id)
        .where(
            exceptions.tenant_id == tenant_id,
            ReviewTask.resolved_at >= start,
            ReviewTask.resolved_at < end,
        )
    )
    return MonthClose(
        month=month,
        totals=sorted(totals.values(), key=lambda t: (t.kind, t.currency)),
        exceptions_opened=counts[0],
        exceptions_open=counts[1],
        exceptions_closed=closed or 0,
    )
