"""The money that moved: verified payments and succeeded refunds, with their bookings.

One query feeds both the daily summary and the accounting export, so their totals agree.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.models import Booking
from payable.payments.enums import PaymentState
from payable.payments.models import Payment
from payable.providers.base import is_test_money
from payable.refunds.enums import RefundStatus
from payable.refunds.models import Refund


@dataclass(frozen=True, slots=True)
class Movement:
    type: str  # PAYMENT or REFUND
    at: datetime
    booking_id: uuid.UUID
    booking_reference: str
    kind: str
    provider: str
    provider_reference: str
    amount: Decimal
    currency: str

    @property
    def test_money(self) -> bool:
        """Moved by the sandbox test gateway: no real money behind it."""
        return is_test_money(self.provider)


def _movements(tenant_id: uuid.UUID, start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    payments = (
        select(
            literal("PAYMENT").label("type"),
            Payment.verified_at.label("at"),
            Booking.id.label("booking_id"),
            Booking.reference.label("booking_reference"),
            Booking.kind.label("kind"),
            Payment.provider.label("provider"),
            Payment.provider_reference.label("provider_reference"),
            Payment.amount.label("amount"),
            Payment.currency.label("currency"),
        )
        .join(Booking, Booking.id == Payment.booking_id)
        .where(
            Payment.tenant_id == tenant_id,
            Payment.state == PaymentState.VERIFIED.value,
            Payment.verified_at >= start,
            Payment.verified_at < end,
        )
    )
    refunds = (
        select(
            literal("REFUND"),
            Refund.decided_at,
            Booking.id,
            Booking.reference,
            Booking.kind,
            Payment.provider,
            Refund.provider_refund_reference,
            Refund.amount,
            Refund.currency,
        )
        .join(Booking, Booking.id == Refund.booking_id)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Refund.tenant_id == tenant_id,
            Refund.status == RefundStatus.SUCCEEDED.value,
            Refund.decided_at >= start,
            Refund.decided_at < end,
        )
    )
    both = union_all(payments, refunds).subquery()
    return select(both).order_by(both.c.at, both.c.type, both.c.provider_reference)


async def movements(
    *, session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> AsyncIterator[Movement]:
    """Every movement in [start, end), oldest first, streamed."""
    result = await session.stream(_movements(tenant_id, start, end))
    async for row in result:
        yield Movement(**row._mapping)
