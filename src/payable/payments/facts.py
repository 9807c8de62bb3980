"""The one door for what a gateway tells us about an order.

A signed callback (confirmed by a lookup where the gateway has one), the browser's return page
(which only triggers a lookup), the poller, the sweeper, ``refreshPaymentStatus`` and a line of
the gateway's report all end here. Under the booking lock, and idempotent on the gateway's
reference, it decides from the link's state at the moment the money was captured: the money
counts (VERIFIED) only when the link was live then, the booking open and the amount exactly what
the installment still owed. Anything else is kept as HELD, with a reason and one review task,
for a person to accept or return. Nothing received is dropped.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.enums import BookingStatus
from payable.bookings.models import Booking, Installment
from payable.core import clock
from payable.core.money import Money
from payable.payments import counting, transitions
from payable.payments.enums import HeldReason, PaymentState, VerifiedBy
from payable.payments.enums import PaymentRequestStatus as Status
from payable.payments.models import Payment, PaymentRequest
from payable.providers.base import OrderState, OrderStatus
from payable.reviews import service as reviews
from payable.reviews.models import TaskKind
from payable.timeline.events import EventType

_SYSTEM = "system"
CLOSED_BOOKINGS = (BookingStatus.CANCELLED.value, BookingStatus.NO_SHOW.value)
# Where a link can be when its money arrives and still count: open, or expired by the sweeper
# although the money was captured before the expiry.
_LIVE = (Status.PENDING.value, Status.EXPIRED.value)
_CAPTURED = (OrderState.PAID, OrderState.REFUNDED)

TASK_FOR: dict[HeldReason, TaskKind] = {
    HeldReason.LATE_PAYMENT: TaskKind.LATE_PAYMENT,
    HeldReason.LINK_WITHDRAWN: TaskKind.LATE_PAYMENT,
    HeldReason.BOOKING_CLOSED: TaskKind.LATE_PAYMENT,
    HeldReason.AMOUNT_MISMATCH: TaskKind.AMOUNT_MISMATCH,
    HeldReason.OVERPAYMENT: TaskKind.AMOUNT_MISMATCH,
    HeldReason.DUPLICATE_PAYMENT: TaskKind.UNCLEAR_PAYMENT,
    HeldReason.UNCLEAR: TaskKind.UNCLEAR_PAYMENT,
}


async def record(
    *,
    session: AsyncSession,
    request_id: uuid.UUID,
    tenant_id: uuid.UUID,
    status: OrderStatus,
    source: VerifiedBy,
) -> None:
    """Bring the link, its booking and the books in line with one gateway fact."""
    request = await transitions.lock_request(
        session=session, tenant_id=tenant_id, request_id=request_id
    )
    await session.execute(
        update(PaymentRequest)
        .where(PaymentRequest.id == request.id)
        .values(checked_at=clock.now(), last_error=None)
    )
    if status.state in _CAPTURED and status.amount is not None and status.amount.amount > 0:
        await _money_captured(session, request, status, source)
    elif request.status != Status.PENDING.value:
        return  # a late decline or expiry never downgrades what is already settled
    elif status.state in (OrderState.DECLINED, OrderState.REVERSED):
        await transitions.set_status(
            session,
            request,
            Status.FAILED,
            actor=_SYSTEM,
            reason=status.detail,
            event=EventType.PAYMENT_FAILED,
            data={"gatewayState": status.state.value},
        )
    elif status.state is OrderState.EXPIRED or request.expires_at <= clock.now():
        await transitions.expire(session=session, request=request)


def held_reason(
    *,
    request: PaymentRequest,
    installment: Installment,
    booking: Booking,
    paid: Money,
    captured_at: datetime,
) -> HeldReason | None:
    """None when the money counts; else why a person must decide (first reason that applies)."""
    if booking.status in CLOSED_BOOKINGS:
        return HeldReason.BOOKING_CLOSED
    if request.status == Status.PAID.value or request.status == Status.MANUAL_REVIEW.value:
        return HeldReason.DUPLICATE_PAYMENT
    if request.status not in _LIVE:
        return HeldReason.LINK_WITHDRAWN
    if captured_at >= request.expires_at:
        return HeldReason.LATE_PAYMENT
    owed = installment.amount_due - installment.amount_paid
    if paid.currency.value != request.currency:
        return HeldReason.AMOUNT_MISMATCH
    if paid.amount > owed:
        return HeldReason.OVERPAYMENT
    if paid.amount != owed or paid.amount != request.amount:
        return HeldReason.AMOUNT_MISMATCH
    return None


async def _money_captured(
    session: AsyncSession, request: PaymentRequest, status: OrderStatus, source: VerifiedBy
) -> None:
    known = await session.scalar(
        select(Payment.id).where(
            Payment.provider == request.provider,
            Payment.provider_reference == status.provider_reference,
        )
    )
    if known is not None:
        return  # the same money, reported again
    assert status.amount is not None
    booking = await session.get_one(Booking, request.booking_id)
    installment = await session.get_one(Installment, request.installment_id)
    # Where the gateway does not say when it captured, the first moment we knew is used: late
    # rather than early, so doubt ends with a person, never in the books.
    captured_at = status.captured_at or clock.now()
    reason = held_reason(
        request=request,
        installment=installment,
        booking=booking,
        paid=status.amount,
        captured_at=captured_at,
    )
    payment = Payment(
        tenant_id=request.tenant_id,
        booking_id=request.booking_id,
        payment_request_id=request.id,
        currency=status.amount.currency.value,
        amount=status.amount.amount,
        state=(PaymentState.HELD if reason else PaymentState.VERIFIED).value,
        held_reason=reason.value if reason else None,
        provider=request.provider,
        provider_reference=status.provider_reference,
        verified_by=source.value,
        verified_at=clock.now(),
        captured_at=status.captured_at,
    )
    session.add(payment)
    await session.flush()
    if reason is None:
        counted = await counting.count(
            session, booking, payment, installment_id=request.installment_id
        )
        await transitions.set_status(
            session,
            request,
            Status.PAID,
            actor=_SYSTEM,
            reason=None,
            event=EventType.PAYMENT_VERIFIED,
            data={**counting.describe(payment), **counted.data},
        )
        await counting.after_counted(session, booking.id, counted)
    else:
        await _hold(session, request, payment, reason)


async def _hold(
    session: AsyncSession, request: PaymentRequest, payment: Payment, reason: HeldReason
) -> None:
    """Keep the money on record, count it nowhere, and ask a person."""
    details = {
        "heldReason": reason.value,
        "requested": {"amount": f"{request.amount:.2f}", "currency": request.currency},
        "received": {"amount": f"{payment.amount:.2f}", "currency": payment.currency},
        "requestStatus": request.status,
    }
    await reviews.raise_task(
        session=session,
        tenant_id=request.tenant_id,
        booking_id=request.booking_id,
        kind=TASK_FOR[reason],
        payment_request_id=request.id,
        payment_id=payment.id,
        details=details,
    )
    # A link that was paid stays PAID; any other now shows that money on it awaits review.
    new_status = Status.PAID if request.status == Status.PAID.value else Status.MANUAL_REVIEW
    await transitions.set_status(
        session,
        request,
        new_status,
        actor=_SYSTEM,
        reason=reason.value,
        event=EventType.PAYMENT_HELD,
        data={"paymentId": str(payment.id), "verifiedBy": payment.verified_by, **details},
    )
