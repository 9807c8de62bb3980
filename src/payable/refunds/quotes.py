"""Refund quotes: what the booking's own policy version allows now. The backend proposes;
people decide (a refund request may differ, within the money actually captured)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.enums import BookingStatus
from payable.bookings.models import Booking
from payable.core import clock
from payable.core.errors import NotFound
from payable.policies.models import PolicyVersion
from payable.refunds import ledger
from payable.verticals import registry

_BUSINESS_CAUSES = ("WEATHER", "PROVIDER")  # the business cancelled: the customer gets all back


class RefundPath(enum.StrEnum):
    FULL = "FULL"
    PARTIAL = "PARTIAL"
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class Quote:
    refundable: Decimal
    currency: str
    policy_version_id: uuid.UUID
    deadline: datetime | None  # until when the free-cancellation path is open
    path: RefundPath
    percent: int


def entitlement(
    *,
    policy: PolicyVersion,
    status: str,
    close_cause: str | None,
    closed_at: datetime | None,
    starts: datetime,
    now: datetime,
) -> tuple[int, datetime | None]:
    """The refund percent the policy gives, and the free-cancellation deadline if still ahead."""
    deadline = starts - timedelta(hours=policy.free_cancellation_hours)
    open_deadline = deadline if now <= deadline else None
    if status == BookingStatus.COMPLETED.value:
        return 0, None  # delivered: only money beyond the price is owed back
    if status == BookingStatus.NO_SHOW.value:
        return policy.no_show_refund_percent, None
    if close_cause in _BUSINESS_CAUSES:
        return 100, open_deadline
    moment = closed_at or now
    percent = 100 if moment <= deadline else policy.late_cancellation_refund_percent
    return percent, open_deadline


async def quote(*, session: AsyncSession, tenant_id: uuid.UUID, booking_id: uuid.UUID) -> Quote:
    booking = await session.scalar(
        select(Booking).where(Booking.tenant_id == tenant_id, Booking.id == booking_id)
    )
    if booking is None:
        raise NotFound("booking", "bookingId")
    vertical = registry.get(booking.kind)
    detail = await session.get(vertical.detail_model, booking.id)
    policy = await session.get(PolicyVersion, booking.policy_version_id)
    percent, deadline = entitlement(
        policy=policy,
        status=booking.status,
        close_cause=booking.close_cause,
        closed_at=booking.closed_at,
        starts=vertical.service_start(detail),
        now=clock.now(),
    )
    payments = await ledger.by_payment(session=session, booking_id=booking.id)
    captured = sum((p.payment.amount for p in payments), Decimal("0.00"))
    still_held = sum((p.remaining for p in payments), Decimal("0.00"))
    already_back = captured - still_held  # refunded, or requested and not yet rejected
    # Money paid beyond the price (after a price cut) is owed back whatever the policy says.
    overpaid = max(captured - booking.price, Decimal("0.00"))
    entitled = ((captured - overpaid) * percent / 100).quantize(
        Decimal("0.01"), rounding=ROUND_DOWN
    )
    refundable = max(entitled + overpaid - already_back, Decimal("0.00"))
    if percent == 100:
        path = RefundPath.FULL
    elif percent == 0:
        path = RefundPath.NONE
    else:
        path = RefundPath.PARTIAL
    return Quote(refundable, booking.currency, policy.id, deadline, path, percent)
