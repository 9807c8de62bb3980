"""Refunds made by hand, where the gateway has no refund API (the wallets: Idram, Telcell).

Sending such a refund fails with MANUAL_REFUND_REQUIRED and opens a review task, as any failed
refund does. Someone with money rights then returns the money in the wallet's own merchant
cabinet and records it here with the wallet operator's reference: only then does the refund
count as SUCCEEDED (the booking's refunded total, the held payment returned, the task closed),
and that reference is what reconciliation finds in the wallet's report.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import service as bookings
from payable.core import text
from payable.core.errors import NotFound
from payable.core.principal import Principal
from payable.payments import status as payment_status
from payable.providers.wallet_forms import MANUAL_REFUND_REQUIRED
from payable.refunds.enums import RefundStatus
from payable.refunds.execution import record_succeeded
from payable.refunds.models import Refund
from payable.refunds.refusals import RefundRefusal


async def record(
    *, session: AsyncSession, principal: Principal, refund_id: uuid.UUID, reference: str
) -> uuid.UUID:
    """Mark a refund the gateway could not make as made by hand, under ``reference``."""
    reference = text.limit(reference, field="reference", max_length=text.REFERENCE_MAX)
    if not reference:
        raise RefundRefusal.REFERENCE_REQUIRED.error("reference")
    booking_id = await session.scalar(
        select(Refund.booking_id).where(
            Refund.tenant_id == principal.tenant_id, Refund.id == refund_id
        )
    )
    if booking_id is None:
        raise NotFound("refund", "refundId")
    await bookings.lock(session=session, tenant_id=principal.tenant_id, booking_id=booking_id)
    refund = await session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    assert refund is not None
    if refund.status != RefundStatus.FAILED.value or refund.failure != MANUAL_REFUND_REQUIRED:
        raise RefundRefusal.REFUND_NOT_MANUAL.error(
            "refundId",
            "only a refund the gateway cannot make (failed with MANUAL_REFUND_REQUIRED) is"
            f" recorded by hand; this one is {refund.status.lower()}",
        )
    await record_succeeded(
        session, refund, reference, actor=principal.sub, manual=True, operatorReference=reference
    )
    await payment_status.recompute(session, refund.booking_id)
    return refund.id
