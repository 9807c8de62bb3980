"""Reconciling a day: record each difference once, with one review task for a person.

An exception is unique per (tenant, provider, kind, reference), so running again (or
concurrently: the second run waits on the key, then finds it) records nothing new. Money the
gateway took on one of our orders that our books lack is a gateway fact like any other: it
goes through the one door (``payments.facts``), by a status lookup where the gateway has one,
else as the report line itself. Nothing else changes; people decide from the tasks.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.db.engine import Database
from payable.payments import facts, lookup
from payable.payments import status as payment_status
from payable.payments.enums import VerifiedBy
from payable.providers.base import OrderState, OrderStatus, Provider
from payable.reconciliation import formats, matching, queries
from payable.reconciliation.models import (
    ExceptionKind,
    Operation,
    ReconciliationException,
    ReportLine,
)
from payable.reconciliation.refusals import ReconciliationRefusal
from payable.reviews import service as reviews
from payable.reviews.models import TaskKind


async def reconcile(
    *,
    db: Database,
    tenant_id: uuid.UUID,
    provider: str,
    day: date,
    gateway: Provider | None = None,
) -> matching.Summary:
    """Compare the day's imported report with our books and record what differs; with the
    ``gateway``, money it took on our orders that we lack is then recorded through the door."""
    formats.parser_for(provider)  # an unknown provider is refused, not reconciled as empty
    async with db.session() as session, session.begin():
        if not await queries.reported(
            session=session, tenant_id=tenant_id, provider=provider, day=day
        ):
            raise ReconciliationRefusal.NO_REPORT.error(
                "date", f"no {provider} report imported for {day}"
            )
        summary = await matching.compare(
            session=session, tenant_id=tenant_id, provider=provider, day=day
        )
        await _record(session, tenant_id, summary)
        found = await queries.with_records(
            session=session, tenant_id=tenant_id, provider=provider, findings=summary.exceptions
        )
    if gateway is not None:
        for finding in summary.exceptions:
            if _ours_but_unrecorded(finding):
                await _through_the_door(db, gateway, tenant_id, day, finding)
    return replace(summary, exceptions=found)


def _ours_but_unrecorded(finding: matching.Finding) -> bool:
    return (
        finding.kind is ExceptionKind.MISSING_HERE
        and finding.operation is Operation.PAYMENT
        and finding.payment_request_id is not None
        and finding.theirs is not None
    )


async def _through_the_door(
    db: Database, gateway: Provider, tenant_id: uuid.UUID, day: date, finding: matching.Finding
) -> None:
    assert finding.payment_request_id is not None and finding.theirs is not None
    if gateway.supports_status_lookup:
        await lookup.check(db=db, provider=gateway, request_id=finding.payment_request_id)
        return
    async with db.session() as session, session.begin():
        captured_at = await session.scalar(
            select(ReportLine.occurred_at).where(
                ReportLine.tenant_id == tenant_id,
                ReportLine.provider == gateway.name,
                ReportLine.report_date == day,
                ReportLine.reference == finding.reference,
            )
        )
        await facts.record(
            session=session,
            request_id=finding.payment_request_id,
            tenant_id=tenant_id,
            status=OrderStatus(
                provider_order_id=finding.provider_order_id or "",
                state=OrderState.PAID,
                amount=finding.theirs,
                provider_reference=finding.reference,
                captured_at=captured_at,
            ),
            source=VerifiedBy.PROVIDER_REPORT,
        )


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
