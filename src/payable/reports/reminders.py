"""Installment reminders: once per installment and period, whichever server runs the worker.

The unique (installment, period) row is claimed with ON CONFLICT DO NOTHING, so two workers
racing for the same installment create one reminder and one task. A course past its grace
days also has its access suspended, with an event.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import service as bookings
from payable.bookings.enums import BookingKind
from payable.bookings.lifecycle import LIVE
from payable.bookings.models import Booking, Installment
from payable.db.engine import Database
from payable.reports.models import Reminder
from payable.reviews import service as reviews
from payable.reviews.models import TaskKind
from payable.timeline import service as timeline
from payable.verticals.course.models import AccessStatus, CourseEnrollment

DUE_SOON, OVERDUE = "DUE_SOON", "OVERDUE"


async def remind(*, db: Database, today: date, within_days: int = 3) -> int:
    """Raise the reminders due on ``today``; how many were new."""
    overdue = Installment.due_date + Installment.grace_days < today
    period = case((overdue, OVERDUE), else_=DUE_SOON)
    reminded = select(Reminder.id).where(
        Reminder.installment_id == Installment.id, Reminder.period == period
    )
    async with db.session() as session:
        due = (
            await session.execute(
                select(Installment.id, Installment.due_date, period, Booking.id, Booking.tenant_id)
                .join(Booking, Booking.id == Installment.booking_id)
                .where(
                    Booking.status.in_(LIVE),
                    Installment.amount_paid < Installment.amount_due,
                    Installment.due_date <= today + timedelta(days=within_days),
                    ~reminded.exists(),  # already reminded for this period: nothing to do
                )
            )
        ).all()
    created = 0
    for installment_id, due_date, due_period, booking_id, tenant_id in due:
        async with db.session() as session, session.begin():
            created += await _remind_once(
                session, tenant_id, booking_id, installment_id, due_period, due_date
            )
    return created


async def _remind_once(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    booking_id: uuid.UUID,
    installment_id: uuid.UUID,
    period: str,
    due_date: date,
) -> int:
    claimed = await session.scalar(
        insert(Reminder.__table__)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, installment_id=installment_id, period=period)
        .on_conflict_do_nothing()
        .returning(Reminder.__table__.c.id)
    )
    if claimed is None:
        return 0  # another worker, or an earlier round, already reminded
    booking = await bookings.lock(session=session, tenant_id=tenant_id, booking_id=booking_id)
    task_id = await reviews.raise_task(
        session=session,
        tenant_id=tenant_id,
        booking_id=booking_id,
        kind=TaskKind.REMINDER,
        details={
            "installmentId": str(installment_id),
            "period": period,
            "dueDate": due_date.isoformat(),
        },
    )
    await session.execute(update(Reminder).where(Reminder.id == claimed).values(task_id=task_id))
    await timeline.append(
        session=session,
        tenant_id=tenant_id,
        booking_id=booking_id,
        type="REMINDER_RAISED",
        actor="system",
        data={
            "installmentId": str(installment_id),
            "period": period,
            "dueDate": due_date.isoformat(),
        },
    )
    if period == OVERDUE and booking.kind == BookingKind.COURSE_ENROLLMENT.value:
        await _suspend_access(session, booking)
    return 1


async def _suspend_access(session: AsyncSession, booking: Booking) -> None:
    suspended = await session.execute(
        update(CourseEnrollment)
        .where(
            CourseEnrollment.booking_id == booking.id,
            CourseEnrollment.access_status == AccessStatus.GRANTED.value,
        )
        .values(access_status=AccessStatus.SUSPENDED.value)
    )
    if suspended.rowcount:
        await timeline.append(
            session=session,
            tenant_id=booking.tenant_id,
            booking_id=booking.id,
            type="ACCESS_SUSPENDED",
            actor="system",
            reason="installment overdue",
            data={
                "accessStatus": {
                    "old": AccessStatus.GRANTED.value,
                    "new": AccessStatus.SUSPENDED.value,
                }
            },
        )
