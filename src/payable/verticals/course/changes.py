"""Course changes: group transfers, pauses, and manual access overrides."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import changes
from payable.bookings.models import Booking
from payable.core import permissions
from payable.core.errors import DomainError
from payable.core.principal import Principal
from payable.payments.enums import PaymentState
from payable.payments.models import Payment
from payable.timeline import service as timeline
from payable.timeline.events import EventType
from payable.verticals.course import VERTICAL
from payable.verticals.course.models import AccessStatus, CourseEnrollment
from payable.verticals.fields import require_text


async def _open(
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    action: permissions.Action,
    reason: str | None,
) -> tuple[Booking, str, CourseEnrollment]:
    return await changes.open_detail_change(  # type: ignore[return-value]
        session=session,
        principal=principal,
        booking_id=booking_id,
        vertical=VERTICAL,
        action=action,
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
    booking, reason, enrollment = await _open(
        session, principal, booking_id, permissions.Action.CHANGE_BOOKING, reason
    )
    if enrollment.group_id == group_id:
        raise DomainError("NO_CHANGE", "the student is already in that group", "groupId")
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
    """Access is suspended while paused; nothing of its history is removed."""
    booking, reason, enrollment = await _open(
        session, principal, booking_id, permissions.Action.PAUSE_ACCESS, reason
    )
    if enrollment.access_status == AccessStatus.SUSPENDED.value:
        raise DomainError("ALREADY_PAUSED", "the enrollment is paused", "bookingId")
    await _set_access(
        session, booking, enrollment, AccessStatus.SUSPENDED, "PAUSED", principal.sub, reason
    )
    return booking.id


async def resume(
    *, session: AsyncSession, principal: Principal, booking_id: uuid.UUID, reason: str
) -> uuid.UUID:
    """Back to GRANTED when verified money covers the enrollment, else to NONE."""
    booking, reason, enrollment = await _open(
        session, principal, booking_id, permissions.Action.PAUSE_ACCESS, reason
    )
    if enrollment.access_status != AccessStatus.SUSPENDED.value:
        raise DomainError("NOT_PAUSED", "the enrollment is not paused", "bookingId")
    paid = await session.scalar(
        select(Payment.id)
        .where(Payment.booking_id == booking.id, Payment.state == PaymentState.VERIFIED.value)
        .limit(1)
    )
    access = AccessStatus.GRANTED if paid else AccessStatus.NONE
    await _set_access(session, booking, enrollment, access, "RESUMED", principal.sub, reason)
    return booking.id


async def override_access(
    *,
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    access: AccessStatus,
    reason: str,
) -> uuid.UUID:
    """A manager's exception (e.g. access before the money arrived), logged as such."""
    if access not in (AccessStatus.GRANTED, AccessStatus.REVOKED):
        raise DomainError("INVALID_ACCESS", "override to GRANTED or REVOKED", "accessStatus")
    booking, reason, enrollment = await _open(
        session, principal, booking_id, permissions.Action.OVERRIDE_ACCESS, reason
    )
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type="MANUAL_OVERRIDE",
        actor=principal.sub,
        reason=reason,
        data={"accessStatus": {"old": enrollment.access_status, "new": access.value}},
    )
    await _set_access(
        session, booking, enrollment, access, f"ACCESS_{access.value}", principal.sub, reason
    )
    return booking.id


async def _set_access(
    session: AsyncSession,
    booking: Booking,
    enrollment: CourseEnrollment,
    access: AccessStatus,
    event: str,
    actor: str,
    reason: str,
) -> None:
    await session.execute(
        update(CourseEnrollment)
        .where(CourseEnrollment.booking_id == booking.id)
        .values(access_status=access.value)
    )
    await changes.record(
        session=session,
        booking=booking,
        event=event,
        actor=actor,
        reason=reason,
        old={"access_status": enrollment.access_status},
        new={"access_status": access.value},
    )
