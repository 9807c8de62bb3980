"""Reminder tasks close themselves once there is nothing left to remind of."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.enums import BookingStatus
from payable.bookings.models import Booking, Installment
from payable.core import clock
from payable.reviews.models import ReviewTask, TaskKind, TaskStatus
from payable.timeline import service as timeline
from payable.timeline.events import EventType

SYSTEM = "system"
_CLOSED = (BookingStatus.CANCELLED.value, BookingStatus.NO_SHOW.value)


async def close_moot(session: AsyncSession, booking: Booking) -> int:
    """Close the booking's open reminders whose installment is paid or no longer owed (a
    schedule change), or all of them once the booking is closed; how many were closed."""
    tasks = list(
        (
            await session.execute(
                select(ReviewTask)
                .where(
                    ReviewTask.booking_id == booking.id,
                    ReviewTask.kind == TaskKind.REMINDER.value,
                    ReviewTask.status == TaskStatus.OPEN.value,
                )
                .order_by(ReviewTask.created_at, ReviewTask.id)
                .with_for_update()
            )
        ).scalars()
    )
    if not tasks:
        return 0
    status = await session.scalar(select(Booking.status).where(Booking.id == booking.id))
    owed = {
        row.id: row.amount_due - row.amount_paid
        for row in (
            await session.execute(
                select(Installment.id, Installment.amount_due, Installment.amount_paid).where(
                    Installment.booking_id == booking.id
                )
            )
        ).all()
    }
    closed = 0
    for task in tasks:
        if status in _CLOSED:
            why = f"the booking is {status.lower().replace('_', '-')}"
        elif owed.get(uuid.UUID(task.details["installmentId"]), 0) <= 0:
            why = "nothing is owed on the installment any more"
        else:
            continue
        await _close(session, task, why)
        closed += 1
    return closed


async def _close(session: AsyncSession, task: ReviewTask, why: str) -> None:
    await session.execute(
        update(ReviewTask)
        .where(ReviewTask.id == task.id)
        .values(
            status=TaskStatus.RESOLVED.value,
            resolved_at=clock.now(),
            resolved_by=SYSTEM,
            resolution=why,
        )
    )
    await timeline.append(
        session=session,
        tenant_id=task.tenant_id,
        booking_id=task.booking_id,
        type=EventType.TASK_RESOLVED,
        actor=SYSTEM,
        reason=why,
        data={
            "taskId": str(task.id),
            "kind": task.kind,
            "old": {"status": TaskStatus.OPEN.value},
            "new": {"status": TaskStatus.RESOLVED.value},
        },
    )
