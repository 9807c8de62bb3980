"""The operator's day: money in and out per vertical, closures, what is due, what needs a person."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.enums import OWING
from payable.bookings.models import Booking, Installment
from payable.reports import ledger
from payable.reports.periods import day_range
from payable.reviews.models import ReviewTask, TaskStatus
from payable.timeline.events import EventType
from payable.timeline.models import BookingEvent
from payable.verticals import registry

Amounts = dict[str, Decimal]  # per currency


@dataclass
class VerticalDay:
    kind: str
    payments: int = 0
    bookings_paid: int = 0  # bookings with verified money this day
    deposits_paid: int = 0  # first payments of bookings with several installments
    captured: Amounts = field(default_factory=dict)
    refunds: int = 0
    refunded: Amounts = field(default_factory=dict)
    # The part of captured and refunded that is sandbox test money (development and demo).
    test_captured: Amounts = field(default_factory=dict)
    test_refunded: Amounts = field(default_factory=dict)
    cancellations: int = 0
    weather_cancellations: int = 0
    no_shows: int = 0
    unpaid_balance: Amounts = field(default_factory=dict)
    installments_due: int = 0
    installments_overdue: int = 0


@dataclass(frozen=True, slots=True)
class DueInstallment:
    installment: Installment
    booking_reference: str
    overdue: bool


@dataclass
class DailySummary:
    day: date
    verticals: list[VerticalDay]
    reminders: list[DueInstallment]  # who needs a reminder, oldest due first
    figures: dict[str, object]  # by kind: each vertical's own lines (``daily_figures``)
    open_tasks: int


def _add(amounts: Amounts, currency: str, amount: Decimal) -> None:
    amounts[currency] = amounts.get(currency, Decimal("0.00")) + amount


async def summary(*, session: AsyncSession, tenant_id: uuid.UUID, day: date) -> DailySummary:
    start, end = day_range(day)
    per_kind = {kind: VerticalDay(kind) for kind in registry.kinds()}
    paid_bookings: dict[str, set[uuid.UUID]] = defaultdict(set)
    async for move in ledger.movements(session=session, tenant_id=tenant_id, start=start, end=end):
        line = per_kind[move.kind]
        if move.type == "PAYMENT":
            line.payments += 1
            paid_bookings[line.kind].add(move.booking_id)
            _add(line.captured, move.currency, move.amount)
            if move.test_money:
                _add(line.test_captured, move.currency, move.amount)
        else:
            line.refunds += 1
            _add(line.refunded, move.currency, move.amount)
            if move.test_money:
                _add(line.test_refunded, move.currency, move.amount)
    for kind, ids in paid_bookings.items():
        per_kind[kind].bookings_paid = len(ids)

    for kind, count in await _deposits(session, tenant_id, start, end):
        per_kind[kind].deposits_paid = count
    closures = {
        EventType.CANCELLED: "cancellations",
        EventType.WEATHER_CANCELLED: "weather_cancellations",
        EventType.NO_SHOW: "no_shows",
    }
    for kind, event, count in await _events(session, tenant_id, start, end, list(closures)):
        setattr(per_kind[kind], closures[event], count)

    balances = await session.execute(
        select(Booking.kind, Booking.currency, func.sum(Booking.price - Booking.amount_paid))
        .where(
            Booking.tenant_id == tenant_id,
            Booking.status.in_(OWING),
            Booking.price > Booking.amount_paid,
        )
        .group_by(Booking.kind, Booking.currency)
    )
    for kind, currency, amount in balances.all():
        per_kind[kind].unpaid_balance[currency] = amount

    reminders = await _due(session, tenant_id, day)
    for due in reminders:
        line = per_kind[due.kind]
        if due.overdue:
            line.installments_overdue += 1
        else:
            line.installments_due += 1
    open_tasks = await session.scalar(
        select(func.count()).where(
            ReviewTask.tenant_id == tenant_id, ReviewTask.status == TaskStatus.OPEN.value
        )
    )
    return DailySummary(
        day=day,
        verticals=list(per_kind.values()),
        reminders=[DueInstallment(d.installment, d.reference, d.overdue) for d in reminders],
        figures={
            v.kind: await v.daily_figures(session, tenant_id, day)
            for v in registry.all_verticals()
            if v.daily_figures is not None
        },
        open_tasks=open_tasks or 0,
    )


async def _deposits(session: AsyncSession, tenant_id: uuid.UUID, start, end):  # type: ignore[no-untyped-def]
    """Verified first payments of bookings whose schedule has several lines."""
    several = (
        select(Installment.booking_id)
        .group_by(Installment.booking_id)
        .having(func.count() > 1)
        .subquery()
    )
    first_paid = (
        select(BookingEvent.booking_id, func.min(BookingEvent.occurred_at).label("at"))
        .where(BookingEvent.tenant_id == tenant_id, BookingEvent.type == EventType.PAYMENT_VERIFIED)
        .group_by(BookingEvent.booking_id)
        .subquery()
    )
    rows = await session.execute(
        select(Booking.kind, func.count())
        .join(first_paid, first_paid.c.booking_id == Booking.id)
        .join(several, several.c.booking_id == Booking.id)
        .where(first_paid.c.at >= start, first_paid.c.at < end)
        .group_by(Booking.kind)
    )
    return rows.all()


async def _events(session: AsyncSession, tenant_id: uuid.UUID, start, end, types: list[str]):  # type: ignore[no-untyped-def]
    rows = await session.execute(
        select(Booking.kind, BookingEvent.type, func.count())
        .join(Booking, Booking.id == BookingEvent.booking_id)
        .where(
            BookingEvent.tenant_id == tenant_id,
            BookingEvent.type.in_(types),
            BookingEvent.occurred_at >= start,
            BookingEvent.occurred_at < end,
        )
        .group_by(Booking.kind, BookingEvent.type)
    )
    return rows.all()


@dataclass(frozen=True, slots=True)
class _Due:
    installment: Installment
    reference: str
    kind: str
    overdue: bool


async def _due(session: AsyncSession, tenant_id: uuid.UUID, day: date) -> list[_Due]:
    """Unpaid installments of bookings still owing, due by ``day``; overdue once past their
    grace days."""
    rows = await session.execute(
        select(Installment, Booking.reference, Booking.kind)
        .join(Booking, Booking.id == Installment.booking_id)
        .where(
            Booking.tenant_id == tenant_id,
            Booking.status.in_(OWING),
            Installment.amount_paid < Installment.amount_due,
            Installment.due_date <= day,
        )
        .order_by(Installment.due_date, Installment.id)
    )
    return [
        _Due(i, reference, kind, i.due_date + timedelta(days=i.grace_days) < day)
        for i, reference, kind in rows.all()
    ]
