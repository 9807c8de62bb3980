"""Course changes: group transfers, pauses, and manual access overrides."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import changes
from payable.bookings.models import Booking
from payable.bookings.refusals import BookingRefusal
from payable.core import clock
from payable.core.principal import Principal
from payable.timeline.events import EventType
from payable.verticals import registry
from payable.verticals.course import access
from payable.verticals.course.models import KIND, AccessStatus, CourseEnrollment
from payable.verticals.course.refusals import CourseRefusal
from payable.verticals.fields import require_text


async def _open(
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    reason: str | None,
) -> tuple[Booking, str, CourseEnrollment]:
    return await changes.open_detail_change(  # type: ignore[return-value]
        session=session,
        principal=principal,
        booking_id=booking_id,
        vertical=registry.get(KIND),
        reason=reason,
    )


async def transfer(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    group_id: str,
    reason: str,
) -> uuid.UUID:
    """Another group, same money: every payment and request stays attached."""
    require_text(group_id, "group_id")
    booking, reason, enrollment = await _open(session, principal, booking_id, reason)
    if enrollment.group_id == group_id:
        raise BookingRefusal.NO_CHANGE.error("groupId", "the student is already in that group")
    before = changes.snapshot(enrollment, "group_id")
    enrollment.group_id = group_id
    await changes.record(
        session=session,
        booking=booking,
        event=EventType.GROUP_TRANSFERRED,
        actor=principal.sub,
        reason=reason,
        before=before,
    )
    return booking.id


async def pause(
    *, session: AsyncSession, principal: Principal, booking_id: uuid.UUID, reason: str
) -> uuid.UUID:
    """Access is suspended while paused, whatever the money says; nothing is removed."""
    booking, reason, enrollment = await _open(session, principal, booking_id, reason)
    if enrollment.paused:
        raise CourseRefusal.ALREADY_PAUSED.error("bookingId")
    await _set_layer(session, booking, enrollment, EventType.PAUSED, principal, reason, paused=True)
    return booking.id


async def resume(
    *, session: AsyncSession, principal: Principal, booking_id: uuid.UUID, reason: str
) -> uuid.UUID:
    """Access goes back to what the money (and any override) gives."""
    booking, reason, enrollment = await _open(session, principal, booking_id, reason)
    if not enrollment.paused:
        raise CourseRefusal.NOT_PAUSED.error("bookingId")
    await _set_layer(
        session, booking, enrollment, EventType.RESUMED, principal, reason, paused=False
    )
    return booking.id


async def override_access(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    access: AccessStatus,
    reason: str,
) -> uuid.UUID:
    """A manager's exception (e.g. access before the money arrived), GRANTED or REVOKED until
    lifted with NONE; logged as MANUAL_OVERRIDE."""
    if access not in (AccessStatus.GRANTED, AccessStatus.REVOKED, AccessStatus.NONE):
        raise CourseRefusal.INVALID_ACCESS.error("accessStatus")
    booking, reason, enrollment = await _open(session, principal, booking_id, reason)
    layer = None if access is AccessStatus.NONE else access.value
    if enrollment.access_override == layer:
        raise BookingRefusal.NO_CHANGE.error(
            "accessStatus",
            "no override to lift" if layer is None else f"access is already overridden to {layer}",
        )
    await _set_layer(
        session,
        booking,
        enrollment,
        EventType.MANUAL_OVERRIDE,
        principal,
        reason,
        access_override=layer,
    )
    return booking.id


async def _set_layer(
    session: AsyncSession,
    booking: Booking,
    enrollment: CourseEnrollment,
    event: EventType,
    principal: Principal,
    reason: str,
    **layer: object,
) -> None:
    """Change one layer, record it with the access it leads to, then let access follow."""
    before = _snapshot(enrollment)  # before the update: it refreshes ``enrollment`` in place
    await session.execute(
        update(CourseEnrollment).where(CourseEnrollment.booking_id == booking.id).values(**layer)
    )
    today = clock.today()
    known = await access.facts(session, booking.id, today)
    after = {
        "paused": known.paused,
        "accessOverride": known.override.value if known.override else None,
        "accessStatus": access.decide(known).value,
    }
    await changes.record(
        session=session,
        booking=booking,
        event=event,
        actor=principal.sub,
        reason=reason,
        old=before,
        new=after,
    )
    await access.sync(session, booking, today, actor=principal.sub, reason=reason)


def _snapshot(enrollment: CourseEnrollment) -> dict[str, object]:
    return {
        "paused": enrollment.paused,
        "accessOverride": enrollment.access_override,
        "accessStatus": enrollment.access_status,
    }
