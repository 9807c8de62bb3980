"""Raising review tasks, in the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings import service as bookings
from payable.core import clock
from payable.core.errors import CommonRefusal, NotFound
from payable.core.principal import Principal
from payable.payments import status as payment_status
from payable.payments.enums import PaymentState
from payable.payments.models import Payment
from payable.payments.refusals import PaymentRefusal
from payable.reviews.models import ReviewTask, TaskKind, TaskStatus
from payable.reviews.refusals import ReviewRefusal
from payable.timeline import service as timeline


async def raise_task(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    booking_id: uuid.UUID | None,
    kind: TaskKind,
    payment_request_id: uuid.UUID | None = None,
    payment_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> uuid.UUID:
    task_id = uuid.uuid4()
    await session.execute(
        insert(ReviewTask.__table__).values(
            id=task_id,
            tenant_id=tenant_id,
            booking_id=booking_id,
            kind=kind.value,
            status=TaskStatus.OPEN.value,
            payment_request_id=payment_request_id,
            payment_id=payment_id,
            details=details or {},
        )
    )
    return task_id


async def request_override(
    *, session: AsyncSession, principal: Principal, booking_id: uuid.UUID, request: str
) -> uuid.UUID:
    """Ask a manager for an exception (e.g. access before the money arrives): only a task."""
    if not request or not request.strip():
        raise CommonRefusal.REASON_REQUIRED.error("request")
    booking = await bookings.lock(
        session=session, tenant_id=principal.tenant_id, booking_id=booking_id
    )
    task_id = await raise_task(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        kind=TaskKind.OVERRIDE_REQUEST,
        details={"request": request.strip(), "requestedBy": principal.sub},
    )
    await timeline.append(
        session=session,
        tenant_id=booking.tenant_id,
        booking_id=booking.id,
        type="OVERRIDE_REQUESTED",
        actor=principal.sub,
        reason=request.strip(),
        data={"taskId": str(task_id)},
    )
    await payment_status.recompute(session, booking.id)
    return task_id


async def resolve(
    *, session: AsyncSession, principal: Principal, task_id: uuid.UUID, resolution: str
) -> uuid.UUID:
    """A person closes a task, saying what was done; the booking's status follows."""
    if not resolution or not resolution.strip():
        raise ReviewRefusal.RESOLUTION_REQUIRED.error("resolution")
    task = await session.scalar(
        select(ReviewTask).where(
            ReviewTask.tenant_id == principal.tenant_id, ReviewTask.id == task_id
        )
    )
    if task is None:
        raise NotFound("task", "taskId")
    if task.payment_id is not None and await _held(session, task.payment_id):
        raise PaymentRefusal.HELD_PAYMENT_UNDECIDED.error("taskId")
    if task.booking_id is not None:  # the booking's lock first, the one lock order
        await bookings.lock(
            session=session, tenant_id=principal.tenant_id, booking_id=task.booking_id
        )
    resolved = await session.execute(
        update(ReviewTask)
        .where(ReviewTask.id == task.id, ReviewTask.status == TaskStatus.OPEN.value)
        .values(
            status=TaskStatus.RESOLVED.value,
            resolved_at=clock.now(),
            resolved_by=principal.sub,
            resolution=resolution.strip(),
        )
    )
    if resolved.rowcount == 0:
        raise ReviewRefusal.TASK_RESOLVED.error("taskId")
    if task.booking_id is None:
        return task.id  # no timeline to write to: the task row keeps who, when and how
    await timeline.append(
        session=session,
        tenant_id=task.tenant_id,
        booking_id=task.booking_id,
        type="TASK_RESOLVED",
        actor=principal.sub,
        reason=resolution.strip(),
        data={"taskId": str(task.id), "kind": task.kind},
    )
    await payment_status.recompute(session, task.booking_id)
    return task.id


async def _held(session: AsyncSession, payment_id: uuid.UUID) -> bool:
    state = await session.scalar(select(Payment.state).where(Payment.id == payment_id))
    return state == PaymentState.HELD.value


async def close_for_payment(
    *, session: AsyncSession, payment_id: uuid.UUID, actor: str, resolution: str
) -> None:
    """Money that was held is decided: its open tasks close with what was done."""
    await session.execute(
        update(ReviewTask)
        .where(ReviewTask.payment_id == payment_id, ReviewTask.status == TaskStatus.OPEN.value)
        .values(
            status=TaskStatus.RESOLVED.value,
            resolved_at=clock.now(),
            resolved_by=actor,
            resolution=resolution,
        )
    )


async def close_for_refund(*, session: AsyncSession, refund_id: uuid.UUID, actor: str) -> None:
    """A refund whose outcome was unknown settled: its open tasks close."""
    await session.execute(
        update(ReviewTask)
        .where(
            ReviewTask.details["refundId"].astext == str(refund_id),
            ReviewTask.status == TaskStatus.OPEN.value,
        )
        .values(
            status=TaskStatus.RESOLVED.value,
            resolved_at=clock.now(),
            resolved_by=actor,
            resolution="the gateway refunded it",
        )
    )
