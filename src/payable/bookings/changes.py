"""What every change to a live booking shares: the lock, the state check, the event."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import service as bookings
from payable.bookings.enums import BookingKind
from payable.bookings.lifecycle import LIVE, require_reason
from payable.bookings.models import Booking
from payable.core import permissions
from payable.core.errors import DomainError, NotFound
from payable.core.principal import Principal
from payable.timeline import service as timeline


async def open_change(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    kind: BookingKind | None,
    action: permissions.Action,
    reason: str | None,
) -> tuple[Booking, str]:
    """Check the role and reason, lock the booking, make sure it is live (and of ``kind``)."""
    permissions.require(principal, action)
    reason = require_reason(reason)
    booking = await bookings.lock(
        session=session, tenant_id=principal.tenant_id, booking_id=booking_id
    )
    if kind is not None and booking.kind != kind.value:
        raise NotFound(kind.value.lower().replace("_", " "), "bookingId")
    if booking.status not in LIVE:
        raise DomainError("BOOKING_CLOSED", f"the booking is {booking.status.lower()}", "bookingId")
    return booking, reason


def as_json(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int | bool | None) else str(v) for k, v in values.items()}


async def record(
    *,
    session: AsyncSession,
    booking: Booking,
    event: str,
    actor: str,
    reason: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    **extra: Any,
) -> None:
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type=event,
        actor=actor,
        reason=reason,
        data={"old": as_json(old), "new": as_json(new), **extra},
    )
