"""Changing a booking's price after the fact, as explicit lines on its schedule.

A rise adds an installment for the difference. A cut lowers what is still owed, latest
installment first; below what was already paid, the money stays paid and the excess shows
as refundable (see ``refunds.quotes``): nothing paid is ever re-collected or silently kept.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import changes
from payable.bookings.models import Booking, Installment
from payable.bookings.refusals import BookingRefusal
from payable.core import clock
from payable.core.errors import CommonRefusal
from payable.core.money import Currency, Money, parse_amount
from payable.core.principal import Principal
from payable.payments import links
from payable.payments import status as payment_status
from payable.timeline.events import EventType

ADJUSTMENT_LABEL = "price adjustment"


async def set_price(
    session: AsyncSession, booking: Booking, new_price: Decimal, *, actor: str, reason: str
) -> Money:
    """Change the price and the schedule together; what is now paid beyond the price.

    Open links that would ask more than their installment now owes are withdrawn in the same
    transaction. The caller snapshots ``booking.price`` first: this sets it on the loaded row."""
    if new_price <= 0:
        raise CommonRefusal.INVALID_AMOUNT.error("price", "the price must stay above zero")
    difference = new_price - booking.price
    if difference > 0:
        sequence = await session.scalar(
            select(func.max(Installment.sequence)).where(Installment.booking_id == booking.id)
        )
        session.add(
            Installment(
                booking_id=booking.id,
                currency=booking.currency,
                sequence=(sequence or 0) + 1,
                label=ADJUSTMENT_LABEL,
                amount_due=difference,
                due_date=clock.today(),
            )
        )
    elif difference < 0:
        await _lower_owed(session, booking, -difference)
    booking.price = new_price
    await session.flush()
    await links.withdraw_overpriced(session, booking_id=booking.id, actor=actor, reason=reason)
    await payment_status.recompute(session, booking.id)
    return Money(max(booking.amount_paid - new_price, Decimal(0)), Currency(booking.currency))


async def _lower_owed(session: AsyncSession, booking: Booking, cut: Decimal) -> None:
    lines = list(
        (
            await session.execute(
                select(Installment)
                .where(Installment.booking_id == booking.id)
                .order_by(Installment.sequence.desc())
                .with_for_update()
            )
        ).scalars()
    )
    # First what is still owed, latest first; then, if the cut is deeper, paid lines drop
    # below what was paid on them (overpaid: that money shows as refundable).
    for portion in (
        lambda i: max(i.amount_due - i.amount_paid, Decimal(0)),
        lambda i: i.amount_due,
    ):
        for line in lines:
            take = min(cut, portion(line))
            line.amount_due -= take
            cut -= take


async def discount(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    amount: object,
    reason: str,
) -> uuid.UUID:
    """A manager lowers the price, with actor and reason on the record."""
    booking, reason = await changes.open_change(
        session=session,
        principal=principal,
        booking_id=booking_id,
        kind=None,
        reason=reason,
    )
    cut = parse_amount(amount, field="amount")
    if cut >= booking.price:
        raise BookingRefusal.INVALID_DISCOUNT.error("amount")
    before = changes.snapshot(booking, "price")
    overpaid = await set_price(
        session, booking, booking.price - cut, actor=principal.sub, reason=reason
    )
    await changes.record(
        session=session,
        booking=booking,
        event=EventType.DISCOUNT_APPLIED,
        actor=principal.sub,
        reason=reason,
        before=before,
        discount=Money(cut, Currency(booking.currency)),
        overpaid=overpaid,
    )
    return booking.id
