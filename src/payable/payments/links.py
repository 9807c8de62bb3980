"""Keeping open links honest: none asks more than its installment still owes.

When the schedule changes (a discount, fewer participants, money accepted), every open link of
a touched installment is withdrawn in the same transaction. The gateway's order is cancelled
afterwards by a worker (``reverse_pending``); money that still arrives on it is HELD.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.models import Installment
from payable.payments import transitions
from payable.payments.enums import PaymentRequestStatus as Status
from payable.payments.models import PaymentRequest
from payable.timeline.events import EventType


async def withdraw_overpriced(
    session: AsyncSession, *, booking_id: uuid.UUID, actor: str, reason: str | None = None
) -> list[uuid.UUID]:
    """Withdraw the booking's open links that ask more than their installment owes now."""
    rows = (
        await session.execute(
            select(PaymentRequest, Installment.amount_due - Installment.amount_paid)
            .join(Installment, Installment.id == PaymentRequest.installment_id)
            .where(
                PaymentRequest.booking_id == booking_id,
                PaymentRequest.status == Status.PENDING.value,
            )
            .order_by(PaymentRequest.id)
            .with_for_update(of=PaymentRequest)
        )
    ).all()
    withdrawn = []
    for request, owed in rows:
        if request.amount <= owed:
            continue
        await withdraw(session, request, actor=actor, reason=reason, owed=owed)
        withdrawn.append(request.id)
    return withdrawn


async def withdraw(
    session: AsyncSession,
    request: PaymentRequest,
    *,
    actor: str,
    reason: str | None,
    owed: object = None,
) -> None:
    """Withdraw one open link here now; its gateway order is cancelled by the worker."""
    await session.execute(
        update(PaymentRequest).where(PaymentRequest.id == request.id).values(reverse_pending=True)
    )
    data: dict[str, object] = {
        "asked": {"amount": f"{request.amount:.2f}", "currency": request.currency},
    }
    if owed is not None:
        data["owed"] = {"amount": f"{owed:.2f}", "currency": request.currency}
    await transitions.set_status(
        session,
        request,
        Status.CANCELLED,
        actor=actor,
        reason=reason,
        event=EventType.PAYMENT_REQUEST_WITHDRAWN,
        data=data,
    )
