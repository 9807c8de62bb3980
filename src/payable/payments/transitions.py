"""State changes of a payment request, each with its event; every caller holds the booking lock."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import service as bookings
from payable.core.errors import NotFound
from payable.payments import status as payment_status
from payable.payments.enums import PaymentRequestStatus as Status
from payable.payments.models import PaymentRequest
from payable.timeline import service as timeline


async def expire(*, session: AsyncSession, request: PaymentRequest, actor: str = "system") -> None:
    """Mark a pending link past its expiry EXPIRED (caller holds the booking lock); a worker
    then cancels its gateway order, or finds money paid on it late (which is held)."""
    await session.execute(
        update(PaymentRequest).where(PaymentRequest.id == request.id).values(reverse_pending=True)
    )
    await set_status(
        session,
        request,
        Status.EXPIRED,
        actor=actor,
        reason=None,
        event="PAYMENT_EXPIRED",
        data={"expiresAt": request.expires_at.isoformat()},
    )


async def lock_request(
    *, session: AsyncSession, tenant_id: uuid.UUID, request_id: uuid.UUID
) -> PaymentRequest:
    """The request with its booking locked first (the one lock order every path uses)."""
    booking_id = await session.scalar(
        select(PaymentRequest.booking_id).where(
            PaymentRequest.tenant_id == tenant_id, PaymentRequest.id == request_id
        )
    )
    if booking_id is None:
        raise NotFound("payment request", "paymentRequestId")
    await bookings.lock(session=session, tenant_id=tenant_id, booking_id=booking_id)
    return await session.scalar(
        select(PaymentRequest).where(PaymentRequest.id == request_id).with_for_update()
    )


async def set_status(
    session: AsyncSession,
    request: PaymentRequest,
    status: Status,
    *,
    actor: str,
    reason: str | None,
    event: str,
    data: dict[str, object],
) -> None:
    old = request.status
    await session.execute(
        update(PaymentRequest).where(PaymentRequest.id == request.id).values(status=status.value)
    )
    request.status = status.value
    await timeline.append(
        session=session,
        tenant_id=request.tenant_id,
        booking_id=request.booking_id,
        type=event,
        actor=actor,
        reason=reason,
        data={
            "paymentRequestId": str(request.id),
            "status": {"old": old, "new": status.value},
            **data,
        },
    )
    await payment_status.recompute(session, request.booking_id)
