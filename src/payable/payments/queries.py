"""Reading payment requests and payments, batched by booking or by id, tenant-scoped."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.db.arrays import any_of_ids
from payable.db.grouping import by_id, grouped
from payable.payments.models import Payment, PaymentRequest

_REQUESTS_BY_BOOKING = (
    select(*PaymentRequest.__table__.c)
    .where(any_of_ids(PaymentRequest.booking_id))
    .order_by(PaymentRequest.created_at, PaymentRequest.id)
)
_PAYMENTS_BY_BOOKING = (
    select(*Payment.__table__.c)
    .where(any_of_ids(Payment.booking_id))
    .order_by(Payment.verified_at, Payment.id)
)


async def requests_by_booking(
    *, session: AsyncSession, booking_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[PaymentRequest]]:
    return await grouped(session, _REQUESTS_BY_BOOKING, "booking_id", booking_ids)


async def payments_by_booking(
    *, session: AsyncSession, booking_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Payment]]:
    return await grouped(session, _PAYMENTS_BY_BOOKING, "booking_id", booking_ids)


async def requests_by_ids(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, PaymentRequest]:
    query = select(PaymentRequest).where(
        PaymentRequest.tenant_id == tenant_id, PaymentRequest.id.in_(list(ids))
    )
    return by_id((await session.execute(query)).scalars())


async def payments_by_ids(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Payment]:
    query = select(Payment).where(Payment.tenant_id == tenant_id, Payment.id.in_(list(ids)))
    return by_id((await session.execute(query)).scalars())
