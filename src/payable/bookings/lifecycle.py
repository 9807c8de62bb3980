"""Closing bookings: cancellation, weather cancellation, no-show. ``close`` is also what a
vertical's bulk closures use (e.g. a whole tour departure). (Completion, the other way a
booking ends, is ``bookings.completion``.)

Cancellation, no-show and refund are different things: closing a booking never moves money.
It shows a refund path (see ``refunds.quotes``) and people decide.
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import changes
from payable.bookings import service as bookings
from payable.bookings.enums import BookingStatus
from payable.bookings.models import Booking
from payable.bookings.refusals import BookingRefusal
from payable.core import clock
from payable.core.principal import Principal
from payable.core.text import REASON_MAX, limit, require_reason
from payable.payments import links
from payable.payments import status as payment_status
from payable.payments.enums import PaymentRequestStatus
from payable.payments.models import PaymentRequest
from payable.timeline.events import EventType
from payable.verticals import registry


class ChangeCause(enum.StrEnum):
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
    OPERATOR = "OPERATOR"
    WEATHER = "WEATHER"
    PROVIDER = "PROVIDER"


async def cancel(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    reason: str,
    cause: ChangeCause,
) -> uuid.UUID:
    reason = require_reason(reason)
    booking = await bookings.lock(
        session=session, tenant_id=principal.tenant_id, booking_id=booking_id
    )
    await close(session, booking, BookingStatus.CANCELLED, cause.value, principal.sub, reason)
    return booking.id


async def mark_no_show(
    *, session: AsyncSession, principal: Principal, booking_id: uuid.UUID, reason: str | None
) -> uuid.UUID:
    """Only once the service has begun: before that it is a (late) cancellation."""
    if reason is not None:
        reason = limit(reason, field="reason", max_length=REASON_MAX) or None
    booking = await bookings.lock(
        session=session, tenant_id=principal.tenant_id, booking_id=booking_id
    )
    changes.require_live(booking)
    vertical = registry.get(booking.kind)
    detail = await session.get(vertical.detail_model, booking.id)
    starts = vertical.service_start(detail)
    if clock.now() < starts:
        raise BookingRefusal.NOT_STARTED.error(
            "bookingId", f"the service starts at {starts.isoformat()}"
        )
    await close(session, booking, BookingStatus.NO_SHOW, "NO_SHOW", principal.sub, reason)
    return booking.id


async def close(
    session: AsyncSession,
    booking: Booking,
    status: BookingStatus,
    cause: str,
    actor: str,
    reason: str | None,
) -> None:
    """Close a locked live booking: its event, its pending links withdrawn, the vertical's
    ``on_close``, its payment status. Moves no money."""
    changes.require_live(booking)
    before = changes.snapshot(booking, "status")
    booking.status = status.value
    booking.closed_at = clock.now()
    booking.close_cause = cause
    if status is BookingStatus.NO_SHOW:
        event = EventType.NO_SHOW
    elif cause == ChangeCause.WEATHER:
        event = EventType.WEATHER_CANCELLED
    else:
        event = EventType.CANCELLED
    await changes.record(
        session=session,
        booking=booking,
        event=event,
        actor=actor,
        reason=reason,
        before=before,
        cause=cause,
    )
    active = (
        await session.execute(
            select(PaymentRequest)
            .where(
                PaymentRequest.booking_id == booking.id,
                PaymentRequest.status == PaymentRequestStatus.PENDING.value,
            )
            .with_for_update()
        )
    ).scalars()
    for request in list(active):  # withdrawn (cancelled at the gateway by the worker); money
        # that still arrives on them is held
        await links.withdraw(session, request, actor=actor, reason=reason)
    await registry.get(booking.kind).on_close(session, booking)
    await payment_status.recompute(session, booking.id)
