"""Refunds: requested by staff, decided by someone else with money rights, sent exactly once.

A request larger than one payment is split across the booking's verified payments, newest
first, one refund per payment, all in one group that is approved or rejected together. The
decision is committed before anything is sent; ``refunds.execution`` then sends it.

A refund never changes the booking's status and never touches course access history.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import service as bookings
from payable.core import clock
from payable.core.errors import CommonRefusal, NotFound
from payable.core.money import parse_amount
from payable.core.principal import Principal
from payable.payments import held
from payable.refunds import ledger, queries, quotes
from payable.refunds.enums import RefundStatus
from payable.refunds.models import Refund
from payable.refunds.refusals import RefundRefusal
from payable.tenants.models import Tenant
from payable.timeline import service as timeline
from payable.timeline.events import EventType


async def request_refund(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    amount: object,
    reason: str,
    payment_id: uuid.UUID | None,
) -> uuid.UUID:
    """Record a refund request over the booking's verified money; refused, never capped."""
    reason = _required(reason)
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
        raise RefundRefusal.NOTHING_TO_REFUND.error("bookingId")
    refundable = sum((c.remaining for c in candidates), Decimal(0))
    if value > refundable:
        raise RefundRefusal.REFUND_EXCEEDS_REFUNDABLE.error(
            "amount", f"at most {refundable:.2f} {booking.currency} is refundable"
        )
    group_id = uuid.uuid4()
    refunds: list[Refund] = []
    left = value
    for candidate in sorted(candidates, key=lambda c: c.payment.verified_at, reverse=True):
        take = min(left, candidate.remaining)
        if take <= 0:
            continue
        refunds.append(
            Refund(
                tenant_id=booking.tenant_id,
                booking_id=booking.id,
                payment_id=candidate.payment.id,
                group_id=group_id,
                currency=booking.currency,
                amount=take,
                status=RefundStatus.REQUESTED.value,
                reason=reason,
                requested_by=principal.sub,
            )
        )
        left -= take
    session.add_all(refunds)
    await session.flush()
    for refund in refunds:
        await event(session, refund, EventType.REFUND_REQUESTED, principal.sub, reason)
    return refunds[0].id


async def approve(
    *, session: AsyncSession, principal: Principal, refund_id: uuid.UUID
) -> uuid.UUID:
    """Approve a requested refund's whole group, committed before anything is sent.

    A refund already approved (a repeat, or one interrupted by a crash) is refused: the server
    settles it by asking the gateway, never by sending it again.
    """
    refund = await _lock(session, principal, refund_id)
    _require_requested(refund)
    if refund.requested_by == principal.sub and await _four_eyes(session, refund.tenant_id):
        raise RefundRefusal.APPROVER_IS_REQUESTER.error("refundId")
    for member in await _group(session, refund):
        await _decide(session, member, RefundStatus.APPROVED, principal.sub)
        await event(session, member, EventType.REFUND_APPROVED, principal.sub, None)
    return refund.id


async def reject(
    *, session: AsyncSession, principal: Principal, refund_id: uuid.UUID, reason: str
) -> uuid.UUID:
    """Decline a requested refund's whole group, with a reason."""
    reason = _required(reason)
    refund = await _lock(session, principal, refund_id)
    _require_requested(refund)
    for member in await _group(session, refund):
        await _decide(session, member, RefundStatus.REJECTED, principal.sub)
        await event(session, member, EventType.REFUND_REJECTED, principal.sub, reason)
    return refund.id


async def return_held(
    *, session: AsyncSession, principal: Principal, payment_id: uuid.UUID, reason: str
) -> uuid.UUID:
    """Send held money back: one approved refund of the whole amount (sent after commit)."""
    reason = _required(reason)
    payment = await held.lock_held(
        session=session, tenant_id=principal.tenant_id, payment_id=payment_id
    )
    busy = await queries.in_flight(session=session, payment_id=payment.id)
    if busy is not None:
        return busy  # already being returned
    refund = Refund(
        tenant_id=payment.tenant_id,
        booking_id=payment.booking_id,
        payment_id=payment.id,
        group_id=uuid.uuid4(),
        currency=payment.currency,
        amount=payment.amount,
        status=RefundStatus.APPROVED.value,
        reason=reason,
        requested_by=principal.sub,
        approved_by=principal.sub,
        decided_at=clock.now(),
    )
    session.add(refund)
    await session.flush()
    await event(session, refund, EventType.REFUND_APPROVED, principal.sub, reason, held=True)
    return refund.id


async def _four_eyes(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(Tenant.refund_four_eyes).where(Tenant.id == tenant_id)))


async def _lock(session: AsyncSession, principal: Principal, refund_id: uuid.UUID) -> Refund:
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
    return refund


def _require_requested(refund: Refund) -> None:
    if refund.status != RefundStatus.REQUESTED.value:
        raise RefundRefusal.REFUND_NOT_PENDING.error(
            "refundId", f"the refund is {refund.status.lower()}"
        )


async def _group(session: AsyncSession, refund: Refund) -> list[Refund]:
    """The requested refunds of ``refund``'s group, locked, in a stable order."""
    return list(
        (
            await session.execute(
                select(Refund)
                .where(
                    Refund.group_id == refund.group_id,
                    Refund.status == RefundStatus.REQUESTED.value,
                )
                .order_by(Refund.created_at, Refund.id)
                .with_for_update()
            )
        ).scalars()
    )


def _required(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise CommonRefusal.REASON_REQUIRED.error("reason")
    return reason.strip()


async def _decide(session: AsyncSession, refund: Refund, status: RefundStatus, actor: str) -> None:
    await set_status(session, refund, status, approved_by=actor, decided_at=clock.now())


async def set_status(
    session: AsyncSession, refund: Refund, status: RefundStatus, **values: object
) -> None:
    await session.execute(
        update(Refund).where(Refund.id == refund.id).values(status=status.value, **values)
    )
    refund.status = status.value


async def event(
    session: AsyncSession,
    refund: Refund,
    type: EventType,
    actor: str,
    reason: str | None,
    **extra: object,
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
            **extra,
        },
    )


async def request_quoted(
    *, session: AsyncSession, principal: Principal, booking_id: uuid.UUID, reason: str
) -> list[uuid.UUID]:
    """Request what the booking's own policy quotes now, if anything (e.g. a cancelled
    departure); the refunds created, which someone else still approves."""
    found = await quotes.quote(
        session=session, tenant_id=principal.tenant_id, booking_id=booking_id
    )
    if found.refundable <= 0:
        return []
    first = await request_refund(
        session=session,
        principal=principal,
        booking_id=booking_id,
        amount=found.refundable,
        reason=reason,
        payment_id=None,
    )
    group = select(Refund.group_id).where(Refund.id == first).scalar_subquery()
    return list((await session.scalars(select(Refund.id).where(Refund.group_id == group))).all())
