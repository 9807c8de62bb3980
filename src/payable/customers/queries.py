from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.customers.models import Customer
from payable.db.arrays import any_of_ids
from payable.db.records import records

_BY_IDS = select(*Customer.__table__.c).where(
    Customer.__table__.c.tenant_id == bindparam("tenant_id"), any_of_ids(Customer.__table__.c.id)
)


async def by_ids(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Customer]:
    """Read-only rows with the model's attribute names (customers are shown, not changed)."""
    result = await session.execute(_BY_IDS, {"tenant_id": tenant_id, "ids": list(ids)})
    return {row.id: row for row in records(result, list(result.keys()))}
