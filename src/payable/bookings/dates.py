"""Dates that make sense: nothing starts in the past, nothing falls due after the service.

"The past" is measured on the business day (Yerevan): a tour or a course may start today. A
clinic slot is an instant, so it is in the past once its start has passed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.models import Installment
from payable.bookings.refusals import BookingRefusal
from payable.bookings.schedule import InstallmentSpec, PlannedInstallment
from payable.core import clock

MAX_SLOT = timedelta(hours=24)  # longer would block a specialist for days


def day_not_past(day: date, field: str) -> None:
    """``DATE_IN_PAST`` for a day before today's business day."""
    today = clock.today()
    if day < today:
        raise BookingRefusal.DATE_IN_PAST.error(field, f"{field} {day} is before today ({today})")


def slot_not_past(start: datetime, field: str = "slotStart") -> None:
    """``DATE_IN_PAST`` for a slot that has already begun."""
    if start < clock.now():
        raise BookingRefusal.DATE_IN_PAST.error(field, f"{field} {start.isoformat()} has passed")


def slot_length(start: datetime, end: datetime, field: str = "slotEnd") -> None:
    if end - start > MAX_SLOT:
        raise BookingRefusal.SLOT_TOO_LONG.error(field)


def slot_day(start: datetime) -> date:
    """The business day a slot begins on: nothing may fall due after it."""
    return start.astimezone(clock.BUSINESS_ZONE).date()


def due_by(
    planned: list[PlannedInstallment], specs: list[InstallmentSpec] | None, last_day: date
) -> None:
    """``DUE_AFTER_SERVICE`` when an installment falls due after ``last_day``."""
    late = [p for p in planned if p.due_date > last_day]
    if not late:
        return
    field = "installments"
    for n, spec in enumerate(specs or []):
        if spec.due_date > last_day:
            field = f"installments.{n}.dueDate"
            break
    raise BookingRefusal.DUE_AFTER_SERVICE.error(
        field, f"an installment falls due on {late[0].due_date}, after the service ({last_day})"
    )


async def pull_forward(
    session: AsyncSession, booking_id: uuid.UUID, last_day: date
) -> list[dict[str, object]]:
    """When the service moves earlier, what is still owed falls due on its new day at the
    latest; which lines moved, for the change event (``dueDatesMoved``)."""
    lines = (
        await session.execute(
            select(Installment)
            .where(
                Installment.booking_id == booking_id,
                Installment.due_date > last_day,
                Installment.amount_paid < Installment.amount_due,
            )
            .order_by(Installment.sequence)
            .with_for_update()
        )
    ).scalars()
    moved: list[dict[str, object]] = []
    for line in list(lines):
        moved.append({"sequence": line.sequence, "old": line.due_date, "new": last_day})
        line.due_date = last_day
    return moved
