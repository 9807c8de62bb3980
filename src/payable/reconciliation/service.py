"""Reconciling a day: record each difference once, with one review task for a person.

Nothing else changes: no payment, refund or booking is touched; people decide from the
tasks. An exception is unique per (tenant, provider, kind, reference), so running again
(or concurrently: the second run waits on the key, then finds it) records nothing new.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.core.errors import DomainError
from payable.db.engine import Database
from payable.payments import status as payment_status
from payable.reconciliation import formats, matching, queries
from payable.reconciliation.models import ReconciliationException
from payable.reviews import service as reviews
from payable.reviews.models import TaskKind


async def reconcile(
    *, db: Database, tenant_id: uuid.UUID, provider: str, day: date
) -> matching.Summary:
    """Compare the day's imported report with our books and record what differs."""
    formats.parser_for(provider)  # an unknown provider is refused, not reconciled as empty
    async with db.session() as session, session.begin():
        if not await queries.reported(
            session=session, tenant_id=tenant_id, provider=provider, day=day
        ):
            raise DomainError("NO_REPORT", f"no {provider} report imported for {day}", "date")
        summary = await matching.compare(
            session=session, tenant_id=tenant_id, provider=provider, day=day
        )
        await _record(session, tenant_id, summary)
        found = await queries.with_records(
            session=session, tenant_id=tenant_id, provider=provider, findings=summary.exceptions
        )
    return replace(summary, exceptions=found)


async def _record(session: AsyncSession, tenant_id: uuid.UUID, summary: matching.Summary) -> None:
    """Insert the exceptions not recorded yet, and raise a task for each new one."""
    if not summary.exceptions:
        return
    table = ReconciliationException.__table__
    rows = [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "provider": summary.provider,
            "report_date": summary.day,
            "kind": finding.kind.value,
            "reference": finding.reference,
            "booking_id": finding.booking_id,
            "details": finding.details(summary.provider, summary.day),
        }
        for finding in summary.exceptions
    ]
    inserted = await session.execute(
        insert(table)
        .on_conflict_do_nothing(index_elements=["tenant_id", "provider", "kind", "reference"])
        .returning(table.c.id),
        rows,
    )
    new = set(inserted.scalars())
    tasks = []
    for finding, row in zip(summary.exceptions, rows, strict=True):
        if row["id"] in new:
            task_id = await reviews.raise_task(
                session=session,
                tenant_id=tenant_id,
                booking_id=finding.booking_id,
                kind=TaskKind.RECONCILIATION,
                payment_request_id=finding.payment_request_id,
                payment_id=finding.payment_id,
                details=row["details"],
            )
            tasks.append({"exception_id": row["id"], "new_task_id": task_id})
            if finding.booking_id is not None:  # the booking's money is now under review
                await payment_status.recompute(session, finding.booking_id)
    if tasks:
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("exception_id"))
            .values(task_id=bindparam("new_task_id")),
            tasks,
        )
