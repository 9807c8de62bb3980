"""Installment reminders: once per installment and period, whichever server runs the worker.

The unique (installment, period) row is claimed with ON CONFLICT DO NOTHING, so two workers
racing for the same installment create one reminder and one task. Each installment is
checked again, under the booking's lock, at the moment its reminder is raised; reminders close
themselves (``bookings.reminder_tasks``) once paid. The same round is the day tick of what verticals
derive from dates (``bookings.derived.refresh_stale``), e.g. a course's access.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import derived
from payable.bookings import service as bookings
from payable.bookings.enums import OWING
from payable.bookings.models import Booking, Installment
from payable.bookings.reminder_models import Reminder
from payable.db.engine import Database
from payable.reviews import service as reviews
from payable.reviews.models import TaskKind
from payable.timeline import service as timeline

DUE_SOON, OVERDUE = "DUE_SOON", "OVERDUE"


async def remind(*, db: Database, today: date, within_days: int = 3) -> int:
    """Raise the reminders due on ``today``, then re-derive what the day changed; how many
    reminders were new."""
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
                    Booking.status.in_(OWING),
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
                session, tenant_id, booking_id, installment_id, due_period, due_date, today
            )
    await derived.refresh_stale(db=db, today=today)
    return created


def period_of(installment: Installment, today: date) -> str:
    overdue = installment.due_date + timedelta(days=installment.grace_days) < today
    return OVERDUE if overdue else DUE_SOON


async def _remind_once(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    booking_id: uuid.UUID,
    installment_id: uuid.UUID,
    period: str,
    due_date: date,
    today: date,
) -> int:
    booking = await bookings.lock(session=session, tenant_id=tenant_id, booking_id=booking_id)
    installment = await session.scalar(
        select(Installment)
        .where(Installment.id == installment_id)
        .execution_options(populate_existing=True)
    )
    # The list was read before this lock: money, a closure or a schedule change since then
    # means there is nothing (or something else) to remind of.
    if (
        booking.status not in OWING
        or installment is None
        or installment.amount_paid >= installment.amount_due
        or installment.due_date != due_date
        or period_of(installment, today) != period
    ):
        return 0
    claimed = await session.scalar(
        insert(Reminder.__table__)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, installment_id=installment_id, period=period)
        .on_conflict_do_nothing()
        .returning(Reminder.__table__.c.id)
    )
    if claimed is None:
        return 0  # another worker, or an earlier round, already reminded
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
    return 1
