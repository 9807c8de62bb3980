"""Verified money opens course access for the period it covers."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.models import Booking, Installment
from payable.timeline import service as timeline
from payable.verticals.base import PaymentFacts
from payable.verticals.course.models import AccessStatus, CourseEnrollment


async def revoke_on_close(session: AsyncSession, booking: Booking) -> None:
    """A cancelled or no-show enrollment loses access; the grant stays in its history."""
    enrollment = await session.get(CourseEnrollment, booking.id, with_for_update=True)
    if enrollment is None or enrollment.access_status in (
        AccessStatus.NONE.value,
        AccessStatus.REVOKED.value,
    ):
        return
    await session.execute(
        update(CourseEnrollment)
        .where(CourseEnrollment.booking_id == booking.id)
        .values(access_status=AccessStatus.REVOKED.value)
    )
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type="ACCESS_REVOKED",
        actor="system",
        data={"accessStatus": {"old": enrollment.access_status, "new": AccessStatus.REVOKED.value}},
    )


async def after_payment(session: AsyncSession, booking: Booking, facts: PaymentFacts) -> None:
    enrollment = await session.scalar(
        select(CourseEnrollment).where(CourseEnrollment.booking_id == booking.id).with_for_update()
    )
    if enrollment is None or enrollment.access_status != AccessStatus.NONE.value:
        return  # suspended or revoked access is a person's decision, not the payment's
    # Paid through the period's end, or up to the next installment still owed.
    next_due = await session.scalar(
        select(Installment.due_date)
        .where(
            Installment.booking_id == booking.id, Installment.amount_paid < Installment.amount_due
        )
        .order_by(Installment.sequence)
        .limit(1)
    )
    paid_through = (
        enrollment.period_end if next_due is None else min(next_due, enrollment.period_end)
    )
    await session.execute(
        update(CourseEnrollment)
        .where(CourseEnrollment.booking_id == booking.id)
        .values(access_status=AccessStatus.GRANTED.value)
    )
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type="ACCESS_GRANTED",
        actor="system",
        data={
            "accessStatus": {"old": enrollment.access_status, "new": AccessStatus.GRANTED.value},
            "periodStart": enrollment.period_start.isoformat(),
            "paidThrough": paid_through.isoformat(),
        },
    )
