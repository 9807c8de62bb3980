"""Sending approved refunds to the gateway exactly once, even across crashes.

1. ``attempted_at`` is committed before the gateway is called: from then on the refund may have
   happened, and nothing sends it again.
2. The gateway's answer is committed afterwards: SUCCEEDED, FAILED, or PROCESSING when it did
   not answer.
3. A refund left in between (a crash, a database restart, a timeout) is settled by asking the
   gateway what it refunded on the order: at most one refund per payment is in flight (a unique
   index), so the order's refunded total less what our books already hold is this refund.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import derived
from payable.bookings import service as bookings
from payable.bookings.models import Booking
from payable.core import clock
from payable.core.money import Currency, Money
from payable.db.engine import Database
from payable.payments import status as payment_status
from payable.payments.enums import PaymentState
from payable.payments.models import Payment, PaymentRequest
from payable.providers.base import Provider, ProviderError, ProviderUnavailable
from payable.refunds import service as refunds
from payable.refunds.enums import IN_FLIGHT, RefundStatus
from payable.refunds.models import Refund
from payable.reviews import service as reviews
from payable.reviews.models import TaskKind
from payable.timeline.events import EventType

log = structlog.get_logger("payable.refunds")

# A refund handed to the gateway this long ago that the gateway does not show never got there.
SETTLE_AFTER = timedelta(minutes=2)
_SYSTEM = "system"
# How long a refund waits for another refund of its payment that is at the gateway right now.
MAX_WAIT_SECONDS = 15.0
_WAIT = object()


@dataclass(frozen=True, slots=True)
class _Target:
    refund_id: uuid.UUID
    tenant_id: uuid.UUID
    booking_id: uuid.UUID
    payment_request_id: uuid.UUID
    provider: str
    order_id: str
    amount: Money
    send: bool  # never handed to the gateway: send it; else ask the gateway
    attempted_at: datetime


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: RefundStatus | None  # None: nothing known yet, leave the refund as it is
    code: str | None = None
    reference: str | None = None


ProviderFor = Callable[[str], Provider]


async def execute_group(db: Database, provider_for: ProviderFor, refund_id: uuid.UUID) -> None:
    """Send (or settle) every approved refund of ``refund_id``'s group."""
    async with db.session() as session:
        ids = (
            await session.scalars(
                select(Refund.id)
                .where(
                    Refund.group_id == _group_of(refund_id),
                    Refund.status.in_(IN_FLIGHT),
                )
                .order_by(Refund.created_at, Refund.id)
            )
        ).all()
    for member in ids:
        await execute(db, provider_for, member)


async def execute(db: Database, provider_for: ProviderFor, refund_id: uuid.UUID) -> None:
    """Send an approved refund never handed to the gateway; settle one that was, by asking.

    While another refund of the same payment is being sent, this one waits its turn (bounded);
    behind one whose outcome is unknown, it stays APPROVED for the worker.
    """
    waited = 0.0
    while (target := await _claim(db, refund_id)) is _WAIT and waited < MAX_WAIT_SECONDS:
        await asyncio.sleep(0.05)
        waited += 0.05
    if not isinstance(target, _Target):
        return
    provider = provider_for(target.provider)
    outcome = await (_send(provider, target) if target.send else _ask(db, provider, target))
    if outcome.status is not None:
        await _record(db, target, outcome)


def _group_of(refund_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return select(Refund.group_id).where(Refund.id == refund_id).scalar_subquery()


async def _claim(db: Database, refund_id: uuid.UUID) -> _Target | object | None:
    """What to do with the refund; stamps ``attempted_at`` (committed) before a first send.

    The payment's row lock makes claims of one payment's refunds take turns.
    """
    async with db.session() as session, session.begin():
        row = (
            await session.execute(
                select(
                    Refund,
                    Payment.payment_request_id,
                    Payment.provider,
                    PaymentRequest.provider_order_id,
                )
                .join(Payment, Payment.id == Refund.payment_id)
                .join(PaymentRequest, PaymentRequest.id == Payment.payment_request_id)
                .where(Refund.id == refund_id)
                .with_for_update(of=Refund)
            )
        ).first()
        if row is None or row.Refund.status not in IN_FLIGHT:
            return None
        refund = row.Refund
        send = refund.attempted_at is None
        if send:
            await session.execute(
                select(Payment.id).where(Payment.id == refund.payment_id).with_for_update()
            )
            ahead = await session.scalar(
                select(Refund.status).where(
                    Refund.payment_id == refund.payment_id,
                    Refund.id != refund.id,
                    Refund.status.in_(IN_FLIGHT),
                    Refund.attempted_at.is_not(None),
                )
            )
            if ahead == RefundStatus.APPROVED.value:
                return _WAIT  # being sent right now: its answer comes within the gateway timeout
            if ahead is not None:
                return None  # its outcome is unknown: the worker settles it, then sends this one
            await session.execute(
                update(Refund).where(Refund.id == refund.id).values(attempted_at=clock.now())
            )
        return _Target(
            refund_id=refund.id,
            tenant_id=refund.tenant_id,
            booking_id=refund.booking_id,
            payment_request_id=row.payment_request_id,
            provider=row.provider,
            order_id=row.provider_order_id or "",
            amount=Money(refund.amount, Currency(refund.currency)),
            send=send,
            attempted_at=refund.attempted_at or clock.now(),
        )


async def _send(provider: Provider, target: _Target) -> _Outcome:
    try:
        result = await provider.refund(
            target.order_id, target.amount, reference=str(target.refund_id)
        )
    except ProviderUnavailable:
        return _Outcome(RefundStatus.PROCESSING, code="PROVIDER_UNAVAILABLE")
    except ProviderError as error:
        return _Outcome(RefundStatus.FAILED, code=error.code)
    return _Outcome(RefundStatus.SUCCEEDED, reference=result.provider_refund_reference)


async def _ask(db: Database, provider: Provider, target: _Target) -> _Outcome:
    """Settle by the gateway's own record of the order, never by sending again."""
    try:
        status = await provider.order_status(target.order_id)
    except ProviderError as error:
        log.warning(
            "refund settlement lookup failed", refund_id=str(target.refund_id), code=error.code
        )
        return _Outcome(None)
    async with db.session() as session:
        booked = await session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0))
            .join(Payment, Payment.id == Refund.payment_id)
            .where(
                Payment.payment_request_id == target.payment_request_id,
                Refund.status == RefundStatus.SUCCEEDED.value,
            )
        )
    at_gateway = (status.refunded.amount if status.refunded else Decimal(0)) - Decimal(booked)
    if at_gateway >= target.amount.amount:
        return _Outcome(
            RefundStatus.SUCCEEDED, reference=f"{target.order_id}:settled:{target.refund_id}"
        )
    if at_gateway <= 0 and target.attempted_at <= clock.now() - SETTLE_AFTER:
        return _Outcome(RefundStatus.FAILED, code="NOT_AT_GATEWAY")
    return _Outcome(None)  # part of it shows: a person reads the gateway (task already open)


async def _record(db: Database, target: _Target, outcome: _Outcome) -> None:
    async with db.session() as session, session.begin():
        await bookings.lock(
            session=session, tenant_id=target.tenant_id, booking_id=target.booking_id
        )
        refund = await session.scalar(
            select(Refund).where(Refund.id == target.refund_id).with_for_update()
        )
        if refund is None or refund.status not in IN_FLIGHT:
            return  # settled meanwhile by someone else
        if outcome.status is RefundStatus.SUCCEEDED:
            await record_succeeded(session, refund, outcome.reference)
        elif outcome.status is RefundStatus.FAILED:
            await refunds.set_status(session, refund, RefundStatus.FAILED, failure=outcome.code)
            await _task(session, refund, TaskKind.REFUND_FAILED, outcome.code)
            await refunds.event(session, refund, EventType.REFUND_FAILED, _SYSTEM, outcome.code)
        elif refund.status == RefundStatus.APPROVED.value:
            await refunds.set_status(session, refund, RefundStatus.PROCESSING, failure=outcome.code)
            await _task(session, refund, TaskKind.REFUND_UNCONFIRMED, outcome.code)
            await refunds.event(session, refund, EventType.REFUND_PROCESSING, _SYSTEM, outcome.code)
        await payment_status.recompute(session, refund.booking_id)


async def record_succeeded(
    session: AsyncSession,
    refund: Refund,
    reference: str | None,
    *,
    actor: str = _SYSTEM,
    **extra: object,
) -> None:
    """The money went back (the gateway's answer, or a person's record of a manual refund)."""
    await refunds.set_status(
        session, refund, RefundStatus.SUCCEEDED, provider_refund_reference=reference, failure=None
    )
    await reviews.close_for_refund(session=session, refund_id=refund.id, actor=actor)
    payment = await session.scalar(
        select(Payment).where(Payment.id == refund.payment_id).with_for_update()
    )
    assert payment is not None
    if payment.state == PaymentState.HELD.value:  # held money went back: never counted
        await session.execute(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(state=PaymentState.RETURNED.value)
        )
        await reviews.close_for_payment(
            session=session,
            payment_id=payment.id,
            actor=actor,
            resolution="returned to the payer",
        )
        await refunds.event(
            session, refund, EventType.REFUND_SUCCEEDED, actor, None, held=True, **extra
        )
        await refunds.event(
            session,
            refund,
            EventType.HELD_PAYMENT_RETURNED,
            actor,
            refund.reason,
            state={"old": PaymentState.HELD.value, "new": PaymentState.RETURNED.value},
        )
        return
    await session.execute(
        update(Booking)
        .where(Booking.id == refund.booking_id)
        .values(amount_refunded=Booking.amount_refunded + refund.amount)
    )
    await refunds.event(session, refund, EventType.REFUND_SUCCEEDED, actor, None, **extra)
    booking = await session.get_one(Booking, refund.booking_id)
    await session.refresh(booking)
    await derived.refresh(session, booking)


async def _task(session: AsyncSession, refund: Refund, kind: TaskKind, code: str | None) -> None:
    await reviews.raise_task(
        session=session,
        tenant_id=refund.tenant_id,
        booking_id=refund.booking_id,
        kind=kind,
        payment_id=refund.payment_id,
        details={"refundId": str(refund.id), "code": code},
    )
