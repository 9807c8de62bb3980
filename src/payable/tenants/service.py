"""Tenants are provisioned on first use, with a default cancellation policy per booking kind."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.enums import BookingKind
from payable.policies import service as policies
from payable.tenants.models import Tenant

_known: dict[str, uuid.UUID] = {}


async def ensure(*, session: AsyncSession, slug: str) -> uuid.UUID:
    """The tenant's id, creating it (and its default policies) the first time it is named."""
    if slug in _known:
        return _known[slug]
    table = Tenant.__table__
    async with session.begin():
        created = await session.execute(
            insert(table)
            .values(id=uuid.uuid4(), slug=slug)
            .on_conflict_do_nothing()
            .returning(table.c.id)
        )
        tenant_id = created.scalar_one_or_none()
        if tenant_id is not None:
            for kind in BookingKind:
                await policies.create_default(session=session, tenant_id=tenant_id, kind=kind)
        else:
            tenant_id = (
                await session.execute(select(table.c.id).where(table.c.slug == slug))
            ).scalar_one()
    _known[slug] = tenant_id
    return tenant_id
