from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.db.arrays import any_of_ids
from payable.db.grouping import by_id, grouped
from payable.payments.models import Payment
from payable.refunds.enums import IN_FLIGHT
from payable.refunds.models import Refund

_BY_BOOKING = (
    select(*Refund.__table__.c)
    .where(any_of_ids(Refund.booking_id))
    .order_by(Refund.created_at, Refund.id)
)


async def by_booking(
    *, session: AsyncSession, booking_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Refund]]:
    return await grouped(session, _BY_BOOKING, "booking_id", booking_ids)


async def by_ids(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Refund]:
    query = select(Refund).where(Refund.tenant_id == tenant_id, Refund.id.in_(list(ids)))
    return by_id((await session.execute(query)).scalars())


async def group_of(
    *, session: AsyncSession, tenant_id: uuid.UUID, refund_id: uuid.UUID
) -> list[Refund]:
    """Every refund created by the same request as ``refund_id`` (newest payment first).

    A request's refunds share one transaction's ``created_at``: the payments order them.
    """
    group = select(Refund.group_id).where(Refund.id == refund_id).scalar_subquery()
    query = (
        select(Refund)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.tenant_id == tenant_id, Refund.group_id == group)
        .order_by(Refund.created_at, Payment.verified_at.desc(), Refund.id)
    )
    return list((await session.execute(query)).scalars())


async def in_flight(*, session: AsyncSession, payment_id: uuid.UUID) -> uuid.UUID | None:
    """The refund of this payment that is approved and not settled, if any."""
    return await session.scalar(
        select(Refund.id).where(Refund.payment_id == payment_id, Refund.status.in_(IN_FLIGHT))
    )
