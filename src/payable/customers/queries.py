from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.customers.models import Customer
from payable.db.arrays import any_of
from payable.db.records import records


async def by_ids(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Customer]:
    """Read-only rows with the model's attribute names (customers are shown, not changed)."""
    table = Customer.__table__
    query = select(*table.c).where(table.c.tenant_id == tenant_id, any_of(table.c.id, ids))
    result = await session.execute(query)
    return {row.id: row for row in records(result, list(result.keys()))}
