"""Money held for a person: accepting it counts it toward the booking's schedule.

Returning it is a refund of the whole amount (``refunds.service.return_held``). Either
decision closes the money's review task; resolving the task alone moves no money.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import service as bookings
from payable.bookings.models import Booking
from payable.core.errors import CommonRefusal, NotFound
from payable.core.principal import Principal
from payable.payments import counting
from payable.payments import status as payment_status
from payable.payments.enums import PaymentRequestStatus, PaymentState
from payable.payments.models import Payment, PaymentRequest
from payable.payments.refusals import PaymentRefusal
from payable.refunds import queries as refund_queries
from payable.reviews import service as reviews
from payable.timeline import service as timeline
from payable.timeline.events import EventType


async def lock_held(
    *, session: AsyncSession, tenant_id: uuid.UUID, payment_id: uuid.UUID
) -> Payment:
    """The held payment, its booking locked first (the one lock order); refused if not held."""
    booking_id = await session.scalar(
        select(Payment.booking_id).where(Payment.tenant_id == tenant_id, Payment.id == payment_id)
    )
    if booking_id is None:
        raise NotFound("payment", "paymentId")
    await bookings.lock(session=session, tenant_id=tenant_id, booking_id=booking_id)
    payment = await session.scalar(
        select(Payment).where(Payment.id == payment_id).with_for_update()
    )
    assert payment is not None
    if payment.state != PaymentState.HELD.value:
        raise PaymentRefusal.PAYMENT_NOT_HELD.error(
            "paymentId", f"the payment is {payment.state.lower()}"
        )
    return payment


async def accept(
    *, session: AsyncSession, principal: Principal, payment_id: uuid.UUID, reason: str
) -> uuid.UUID:
    """HELD -> VERIFIED: counted from now on; beyond what is owed it shows as refundable."""
    if not reason or not reason.strip():
        raise CommonRefusal.REASON_REQUIRED.error("reason")
    payment = await lock_held(session=session, tenant_id=principal.tenant_id, payment_id=payment_id)
    if await refund_queries.in_flight(session=session, payment_id=payment.id) is not None:
        raise PaymentRefusal.PAYMENT_BEING_RETURNED.error("paymentId")
    booking = await session.get_one(Booking, payment.booking_id)
    request = await session.get_one(PaymentRequest, payment.payment_request_id)
    await session.execute(
        update(Payment).where(Payment.id == payment.id).values(state=PaymentState.VERIFIED.value)
    )
    payment.state = PaymentState.VERIFIED.value
    counted = await counting.count(session, booking, payment, installment_id=request.installment_id)
    await reviews.close_for_payment(
        session=session,
        payment_id=payment.id,
        actor=principal.sub,
        resolution=f"accepted: {reason.strip()}",
    )
    # The link shows its money is decided: PAID (a link that was already paid stays so).
    link_status = {"old": request.status, "new": PaymentRequestStatus.PAID.value}
    await session.execute(
        update(PaymentRequest)
        .where(PaymentRequest.id == request.id)
        .values(status=PaymentRequestStatus.PAID.value)
    )
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type=EventType.HELD_PAYMENT_ACCEPTED,
        actor=principal.sub,
        reason=reason.strip(),
        data={
            **counting.describe(payment),
            "paymentRequestId": str(request.id),
            "state": {"old": PaymentState.HELD.value, "new": PaymentState.VERIFIED.value},
            "paymentRequestStatus": link_status,
            "heldReason": payment.held_reason,
            **counted.data,
        },
    )
    await counting.after_counted(session, booking.id, counted)
    await payment_status.recompute(session, booking.id)
    return payment.id
