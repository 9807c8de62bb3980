"""What every change to a live booking shares: the lock, the state check, the event."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from payable.bookings import service as bookings
from payable.bookings.enums import BookingKind
from payable.bookings.lifecycle import require_live, require_reason
from payable.bookings.models import Booking
from payable.core import permissions
from payable.core.errors import NotFound
from payable.core.principal import Principal
from payable.timeline import service as timeline

if TYPE_CHECKING:
    from payable.verticals.base import Vertical


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
    require_live(booking)
    return booking, reason


async def open_detail_change(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    vertical: Vertical,
    action: permissions.Action,
    reason: str | None,
) -> tuple[Booking, str, SQLModel]:
    """``open_change`` for a vertical's own fields: also the detail row, locked."""
    booking, reason = await open_change(
        session=session,
        principal=principal,
        booking_id=booking_id,
        kind=vertical.kind,
        action=action,
        reason=reason,
    )
    detail = await session.get(vertical.detail_model, booking.id, with_for_update=True)
    return booking, reason, detail


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
