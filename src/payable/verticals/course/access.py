"""Course access, derived: what verified money, due dates, a pause and an override give.

``decide`` is the rule, a pure function of the facts. ``sync`` reads the facts, stores the
answer and records the change (ACCESS_GRANTED, _SUSPENDED, _RESTORED, _REVOKED) only when
there is one; the core runs it after every fact that can change money, schedule or dates.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.enums import BookingStatus
from payable.bookings.models import Booking, Installment
from payable.timeline import service as timeline
from payable.timeline.events import EventType
from payable.verticals.course.models import AccessStatus, CourseEnrollment

SYSTEM = "system"
CLOSED = (BookingStatus.CANCELLED.value, BookingStatus.NO_SHOW.value)


@dataclass(frozen=True, slots=True)
class Line:
    """An installment, as far as access cares."""

    amount_due: Decimal
    amount_paid: Decimal
    due_date: date
    grace_days: int

    def past_grace(self, today: date) -> bool:
        return today > self.due_date + timedelta(days=self.grace_days)


@dataclass(frozen=True, slots=True)
class Facts:
    booking_status: str
    paused: bool
    override: AccessStatus | None  # GRANTED or REVOKED, set by a manager until lifted
    current: AccessStatus  # what is stored now
    lines: tuple[Line, ...]
    refunded: Decimal  # succeeded refunds: money no longer kept
    today: date


def by_money(lines: Iterable[Line], refunded: Decimal, today: date) -> AccessStatus:
    """NONE before any verified money; GRANTED while the money kept covers every installment
    past its grace days; SUSPENDED otherwise."""
    lines = list(lines)
    received = sum((line.amount_paid for line in lines), Decimal(0))
    if received <= 0:
        return AccessStatus.NONE
    kept = received - refunded
    owed_by_now = sum((line.amount_due for line in lines if line.past_grace(today)), Decimal(0))
    return AccessStatus.GRANTED if kept > 0 and kept >= owed_by_now else AccessStatus.SUSPENDED


def decide(facts: Facts) -> AccessStatus:
    """Closing wins, then a manager's override, then a pause, then the money."""
    if facts.booking_status in CLOSED:
        return AccessStatus.NONE if facts.current is AccessStatus.NONE else AccessStatus.REVOKED
    if facts.override is not None:
        return facts.override
    if facts.paused:
        return AccessStatus.SUSPENDED
    return by_money(facts.lines, facts.refunded, facts.today)


def event_for(old: AccessStatus, new: AccessStatus) -> EventType:
    if new is AccessStatus.GRANTED:
        return (
            EventType.ACCESS_RESTORED if old is AccessStatus.SUSPENDED else EventType.ACCESS_GRANTED
        )
    if new is AccessStatus.SUSPENDED:
        return EventType.ACCESS_SUSPENDED
    if new is AccessStatus.REVOKED:
        return EventType.ACCESS_REVOKED
    # NONE: no access and no money yet, e.g. a pause lifted before anything was paid.
    return EventType.ACCESS_REVOKED if old is AccessStatus.GRANTED else EventType.ACCESS_RESTORED


def why(facts: Facts, new: AccessStatus) -> str:
    """The reason recorded when no person gave one."""
    if facts.booking_status in CLOSED:
        return f"the booking is {facts.booking_status.lower().replace('_', '-')}"
    if facts.override is not None:
        return "manual override"
    if facts.paused:
        return "the enrollment is paused"
    if new is AccessStatus.GRANTED:
        return "verified money covers every installment past its grace days"
    if new is AccessStatus.SUSPENDED:
        return "an installment is past its grace days unpaid"
    return "no verified money"


async def facts(session: AsyncSession, booking_id: uuid.UUID, today: date) -> Facts:
    """Everything ``decide`` needs, read fresh; the enrollment row is locked."""
    enrollment = await session.scalar(
        select(CourseEnrollment)
        .where(CourseEnrollment.booking_id == booking_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    status, refunded = (
        await session.execute(
            select(Booking.status, Booking.amount_refunded).where(Booking.id == booking_id)
        )
    ).one()
    rows = await session.execute(
        select(
            Installment.amount_due,
            Installment.amount_paid,
            Installment.due_date,
            Installment.grace_days,
        ).where(Installment.booking_id == booking_id)
    )
    override = enrollment.access_override
    return Facts(
        booking_status=status,
        paused=enrollment.paused,
        override=AccessStatus(override) if override else None,
        current=AccessStatus(enrollment.access_status),
        lines=tuple(Line(*row) for row in rows.all()),
        refunded=refunded,
        today=today,
    )


async def sync(
    session: AsyncSession,
    booking: Booking,
    today: date,
    *,
    actor: str = SYSTEM,
    reason: str | None = None,
) -> tuple[AccessStatus, AccessStatus]:
    """Store what the facts give on ``today``, with its event if it changed; (old, new)."""
    known = await facts(session, booking.id, today)
    new = decide(known)
    old = known.current
    if new is old:
        return old, new
    await session.execute(
        update(CourseEnrollment)
        .where(CourseEnrollment.booking_id == booking.id)
        .values(access_status=new.value)
    )
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type=event_for(old, new),
        actor=actor,
        reason=reason or why(known, new),
        data={"old": {"accessStatus": old.value}, "new": {"accessStatus": new.value}},
    )
    return old, new


def stale_on(today: date) -> Select[tuple[uuid.UUID, uuid.UUID]]:
    """Enrollments a passing day may have changed: granted with an installment now past its
    grace days unpaid, or suspended by the money with none left (e.g. stored before the rule)."""
    overdue = exists().where(
        Installment.booking_id == Booking.id,
        Installment.amount_paid < Installment.amount_due,
        Installment.due_date + Installment.grace_days < today,
    )
    return (
        select(Booking.id, Booking.tenant_id)
        .join(CourseEnrollment, CourseEnrollment.booking_id == Booking.id)
        .where(
            Booking.status.not_in(CLOSED),
            CourseEnrollment.access_override.is_(None),
            CourseEnrollment.paused.is_(False),
            or_(
                and_(CourseEnrollment.access_status == AccessStatus.GRANTED.value, overdue),
                and_(
                    CourseEnrollment.access_status == AccessStatus.SUSPENDED.value,
                    Booking.amount_refunded == 0,
                    ~overdue,
                ),
            ),
        )
        .order_by(Booking.id)
    )
