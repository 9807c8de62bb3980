"""How much of a booking's money is still refundable, per payment and in total."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.payments.enums import PaymentState
from payable.payments.models import Payment
from payable.refunds.enums import RefundStatus
from payable.refunds.models import Refund

# Refunds that hold money back: everything but the ones that ended without moving any.
CLAIMING = (
    RefundStatus.REQUESTED.value,
    RefundStatus.APPROVED.value,
    RefundStatus.PROCESSING.value,
    RefundStatus.SUCCEEDED.value,
)


@dataclass(frozen=True, slots=True)
class Refundable:
    payment: Payment
    remaining: Decimal  # captured minus every refund still claiming part of it


async def by_payment(*, session: AsyncSession, booking_id: uuid.UUID) -> list[Refundable]:
    """The booking's verified payments with what each still has to give back."""
    claimed = (
        select(Refund.payment_id, func.sum(Refund.amount).label("claimed"))
        .where(Refund.booking_id == booking_id, Refund.status.in_(CLAIMING))
        .group_by(Refund.payment_id)
        .subquery()
    )
    rows = await session.execute(
        select(Payment, func.coalesce(claimed.c.claimed, 0))
        .outerjoin(claimed, claimed.c.payment_id == Payment.id)
        .where(Payment.booking_id == booking_id, Payment.state == PaymentState.VERIFIED.value)
        .order_by(Payment.verified_at)
    )
    return [Refundable(payment, payment.amount - claimed) for payment, claimed in rows.all()]
