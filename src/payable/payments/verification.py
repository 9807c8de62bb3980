"""Turning what the server itself learned from a gateway into payments, statuses and events.

Only two things call this: a callback whose signature verified (then confirmed by a status
lookup where the gateway has one) and a server-side status lookup. A browser never does.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import derived
from payable.bookings.enums import BookingKind, BookingStatus
from payable.bookings.models import Booking, Installment
from payable.core import clock
from payable.payments import transitions
from payable.payments.enums import PaymentRequestStatus as Status
from payable.payments.enums import PaymentState, VerifiedBy
from payable.payments.models import Payment, PaymentRequest
from payable.providers.base import OrderState, OrderStatus
from payable.reviews import service as reviews
from payable.reviews.models import TaskKind
from payable.verticals import VERTICALS
from payable.verticals.base import PaymentFacts

_SYSTEM = "system"
_LATE = (Status.EXPIRED.value, Status.CANCELLED.value, Status.FAILED.value)


async def apply(
    *,
    session: AsyncSession,
    request_id: uuid.UUID,
    tenant_id: uuid.UUID,
    status: OrderStatus,
    verified_by: VerifiedBy,
) -> None:
    """Bring the payment request (and its booking) in line with the gateway's answer."""
    request = await transitions.lock_request(
        session=session, tenant_id=tenant_id, request_id=request_id
    )
    await session.execute(
        update(PaymentRequest)
        .where(PaymentRequest.id == request.id)
        .values(checked_at=clock.now(), last_error=None)
    )
    if status.state is OrderState.PAID:
        await _money_arrived(session, request, status, verified_by)
    elif request.status != Status.PENDING.value:
        return  # a late decline or expiry never downgrades what is already settled
    elif status.state in (OrderState.DECLINED, OrderState.REVERSED):
        await transitions.set_status(
            session,
            request,
            Status.FAILED,
            actor=_SYSTEM,
            reason=status.detail,
            event="PAYMENT_FAILED",
            data={"gatewayState": status.state.value},
        )
    elif status.state is OrderState.EXPIRED or request.expires_at <= clock.now():
        await transitions.expire(session=session, request=request)


async def _money_arrived(
    session: AsyncSession, request: PaymentRequest, status: OrderStatus, verified_by: VerifiedBy
) -> None:
    known = await session.scalar(
        select(Payment.id).where(
            Payment.provider == request.provider,
            Payment.provider_reference == status.provider_reference,
        )
    )
    if known is not None:
        return  # the same money, reported again
    booking = await session.scalar(select(Booking).where(Booking.id == request.booking_id))
    problem = _review_reason(request, booking, status)
    paid = status.amount
    payment = Payment(
        tenant_id=request.tenant_id,
        booking_id=request.booking_id,
        payment_request_id=request.id,
        currency=paid.currency.value if paid else request.currency,
        amount=paid.amount if paid else request.amount,
        state=(PaymentState.MANUAL_REVIEW if problem else PaymentState.VERIFIED).value,
        provider=request.provider,
        provider_reference=status.provider_reference,
        verified_by=verified_by.value,
        verified_at=clock.now(),
    )
    if problem is not None:
        await _hold_for_review(session, request, payment, problem, status)
    else:
        await _record_verified(session, request, booking, payment)


def _review_reason(
    request: PaymentRequest, booking: Booking, status: OrderStatus
) -> TaskKind | None:
    """Money a person must look at: late, for a closed booking, or not what was asked."""
    paid = status.amount
    if paid is None or paid.currency.value != request.currency or paid.amount != request.amount:
        return TaskKind.AMOUNT_MISMATCH
    if request.status in _LATE or booking.status in (
        BookingStatus.CANCELLED.value,
        BookingStatus.NO_SHOW.value,
    ):
        return TaskKind.LATE_PAYMENT
    if request.status != Status.PENDING.value:
        return TaskKind.UNCLEAR_PAYMENT  # a second payment for a settled request
    return None


async def _hold_for_review(
    session: AsyncSession,
    request: PaymentRequest,
    payment: Payment,
    problem: TaskKind,
    status: OrderStatus,
) -> None:
    """Keep the money on record, count it nowhere, and ask a person."""
    session.add(payment)
    await session.flush()
    details = {
        "requested": {"amount": f"{request.amount:.2f}", "currency": request.currency},
        "received": {"amount": f"{payment.amount:.2f}", "currency": payment.currency},
        "requestStatus": request.status,
    }
    await reviews.raise_task(
        session=session,
        tenant_id=request.tenant_id,
        booking_id=request.booking_id,
        kind=problem,
        payment_request_id=request.id,
        payment_id=payment.id,
        details=details,
    )
    await transitions.set_status(
        session,
        request,
        Status.MANUAL_REVIEW,
        actor=_SYSTEM,
        reason=problem.value,
        event="PAYMENT_NEEDS_REVIEW",
        data={"paymentId": str(payment.id), **details},
    )


async def _record_verified(
    session: AsyncSession, request: PaymentRequest, booking: Booking, payment: Payment
) -> None:
    session.add(payment)
    await session.flush()
    await session.execute(
        update(Installment)
        .where(Installment.id == request.installment_id)
        .values(amount_paid=Installment.amount_paid + payment.amount)
    )
    first_payment = booking.amount_paid == 0
    old_status = booking.status
    new_status = (
        BookingStatus.CONFIRMED.value
        if old_status == BookingStatus.AWAITING_PAYMENT.value
        else old_status
    )
    updated = await session.scalar(
        update(Booking)
        .where(Booking.id == booking.id)
        .values(amount_paid=Booking.amount_paid + payment.amount, status=new_status)
        .returning(Booking)
        .execution_options(populate_existing=True)
    )
    await transitions.set_status(
        session,
        request,
        Status.PAID,
        actor=_SYSTEM,
        reason=None,
        event="PAYMENT_VERIFIED",
        data={
            "paymentId": str(payment.id),
            "amount": {"amount": f"{payment.amount:.2f}", "currency": payment.currency},
            "verifiedBy": payment.verified_by,
            "providerReference": payment.provider_reference,
            "bookingStatus": {"old": old_status, "new": new_status},
        },
    )
    facts = PaymentFacts(
        first_payment=first_payment, fully_paid=updated.amount_paid >= updated.price
    )
    await VERTICALS[BookingKind(updated.kind)].after_payment(session, updated, facts)
    await derived.refresh(session, updated)
