"""Find-or-create customers by the CRM's reference."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.core import text
from payable.customers.models import Customer
from payable.customers.refusals import CustomerRefusal


async def find_or_create(
    *, session: AsyncSession, tenant_id: uuid.UUID, external_ref: str
) -> uuid.UUID:
    """The id of the tenant's customer with ``external_ref``, created on first sight."""
    ref = text.limit(external_ref, field="customerRef", max_length=text.REFERENCE_MAX)
    if not ref:
        raise CustomerRefusal.INVALID_CUSTOMER_REF.error("customerRef")
    table = Customer.__table__
    await session.execute(
        insert(table)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, external_ref=ref)
        .on_conflict_do_nothing()
    )
    found = await session.execute(
        select(table.c.id).where(table.c.tenant_id == tenant_id, table.c.external_ref == ref)
    )
    return found.scalar_one()
