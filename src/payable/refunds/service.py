"""Refunds: requested by staff, decided by accountants, executed at the gateway.

A refund never changes the booking's status; money no longer kept may change what a vertical
derives from it (a course's access), with its own event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import derived
from payable.bookings import service as bookings
from payable.bookings.models import Booking
from payable.core import clock, permissions
from payable.core.errors import DomainError, NotFound
from payable.core.money import Currency, Money, parse_amount
from payable.core.principal import Principal
from payable.payments import status as payment_status
from payable.payments.models import Payment, PaymentRequest
from payable.providers.base import Provider, ProviderError, ProviderUnavailable
from payable.refunds import ledger
from payable.refunds.enums import RefundStatus
from payable.refunds.models import Refund
from payable.reviews import service as reviews
from payable.reviews.models import TaskKind
from payable.timeline import service as timeline

ProviderFor = Callable[[str], Provider]


async def request_refund(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    amount: object,
    reason: str,
    payment_id: uuid.UUID | None,
) -> uuid.UUID:
    """Record a refund request against one verified payment; refused, never capped, if too big."""
    permissions.require(principal, permissions.Action.REQUEST_REFUND)
    if not reason or not reason.strip():
        raise DomainError("REASON_REQUIRED", "a reason is required", "reason")
    value = parse_amount(amount, field="amount")
    booking = await bookings.lock(
        session=session, tenant_id=principal.tenant_id, booking_id=booking_id
    )
    candidates = await ledger.by_payment(session=session, booking_id=booking.id)
    if payment_id is not None:
        candidates = [c for c in candidates if c.payment.id == payment_id]
        if not candidates:
            raise NotFound("verified payment of this booking", "paymentId")
    if not candidates:
        raise DomainError("NOTHING_TO_REFUND", "the booking has no verified payment", "bookingId")
    chosen = max(candidates, key=lambda c: c.remaining)
    if value > chosen.remaining:
        raise DomainError(
            "REFUND_EXCEEDS_REFUNDABLE",
            f"at most {chosen.remaining:.2f} {booking.currency} of that payment is refundable",
            "amount",
        )
    refund = Refund(
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        payment_id=chosen.payment.id,
        currency=booking.currency,
        amount=value,
        status=RefundStatus.REQUESTED.value,
        reason=reason.strip(),
        requested_by=principal.sub,
    )
    session.add(refund)
    await session.flush()
    await _event(session, refund, "REFUND_REQUESTED", principal.sub, refund.reason)
    return refund.id


async def approve_refund(
    *, session: AsyncSession, principal: Principal, provider_for: ProviderFor, refund_id: uuid.UUID
) -> uuid.UUID:
    """Approve and send to the gateway: SUCCEEDED, FAILED, or PROCESSING when it did not answer."""
    permissions.require(principal, permissions.Action.DECIDE_REFUND)
    refund = await _lock_requested(session, principal, refund_id)
    await _decide(session, refund, RefundStatus.APPROVED, principal.sub)
    await _event(session, refund, "REFUND_APPROVED", principal.sub, None)
    payment = await session.get(Payment, refund.payment_id)
    order_id = await session.scalar(
        select(PaymentRequest.provider_order_id).where(
            PaymentRequest.id == payment.payment_request_id
        )
    )
    try:
        result = await provider_for(payment.provider).refund(
            order_id or "", Money(refund.amount, Currency(refund.currency))
        )
    except ProviderUnavailable:
        await _unsettled(
            session,
            refund,
            RefundStatus.PROCESSING,
            "PROVIDER_UNAVAILABLE",
            TaskKind.REFUND_UNCONFIRMED,
        )
    except ProviderError as error:
        await _unsettled(session, refund, RefundStatus.FAILED, error.code, TaskKind.REFUND_FAILED)
    else:
        await _set(
            session,
            refund,
            status=RefundStatus.SUCCEEDED,
            provider_refund_reference=result.provider_refund_reference,
        )
        await session.execute(
            update(Booking)
            .where(Booking.id == refund.booking_id)
            .values(amount_refunded=Booking.amount_refunded + refund.amount)
        )
        await _event(session, refund, "REFUND_SUCCEEDED", "system", None)
        await derived.refresh(session, await session.get(Booking, refund.booking_id))
    await payment_status.recompute(session, refund.booking_id)
    return refund.id


async def reject_refund(
    *, session: AsyncSession, principal: Principal, refund_id: uuid.UUID, reason: str
) -> uuid.UUID:
    permissions.require(principal, permissions.Action.DECIDE_REFUND)
    if not reason or not reason.strip():
        raise DomainError("REASON_REQUIRED", "a reason is required", "reason")
    refund = await _lock_requested(session, principal, refund_id)
    await _decide(session, refund, RefundStatus.REJECTED, principal.sub)
    await _event(session, refund, "REFUND_REJECTED", principal.sub, reason.strip())
    return refund.id


async def _lock_requested(
    session: AsyncSession, principal: Principal, refund_id: uuid.UUID
) -> Refund:
    booking_id = await session.scalar(
        select(Refund.booking_id).where(
            Refund.tenant_id == principal.tenant_id, Refund.id == refund_id
        )
    )
    if booking_id is None:
        raise NotFound("refund", "refundId")
    await bookings.lock(session=session, tenant_id=principal.tenant_id, booking_id=booking_id)
    refund = await session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund.status != RefundStatus.REQUESTED.value:
        raise DomainError(
            "REFUND_NOT_PENDING", f"the refund is {refund.status.lower()}", "refundId"
        )
    return refund


async def _decide(session: AsyncSession, refund: Refund, status: RefundStatus, actor: str) -> None:
    await _set(session, refund, status=status, approved_by=actor, decided_at=clock.now())


async def _unsettled(
    session: AsyncSession, refund: Refund, status: RefundStatus, code: str, task: TaskKind
) -> None:
    """The gateway refused or did not answer: a person takes it from here."""
    await _set(session, refund, status=status, failure=code)
    await reviews.raise_task(
        session=session,
        tenant_id=refund.tenant_id,
        booking_id=refund.booking_id,
        kind=task,
        payment_id=refund.payment_id,
        details={"refundId": str(refund.id), "code": code},
    )
    await _event(session, refund, f"REFUND_{status.value}", "system", code)


async def _set(
    session: AsyncSession, refund: Refund, *, status: RefundStatus, **values: object
) -> None:
    await session.execute(
        update(Refund).where(Refund.id == refund.id).values(status=status.value, **values)
    )
    refund.status = status.value


async def _event(
    session: AsyncSession, refund: Refund, type: str, actor: str, reason: str | None
) -> None:
    await timeline.append(
        session=session,
        tenant_id=refund.tenant_id,
        booking_id=refund.booking_id,
        type=type,
        actor=actor,
        reason=reason,
        data={
            "refundId": str(refund.id),
            "paymentId": str(refund.payment_id),
            "amount": {"amount": f"{refund.amount:.2f}", "currency": refund.currency},
            "status": refund.status,
        },
    )
