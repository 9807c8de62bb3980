from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.policies.models import CancellationPolicy, PolicyVersion


@dataclass(frozen=True, slots=True)
class PolicyView:
    """One published version with its policy's code."""

    version: PolicyVersion
    code: str
    kind: str


async def versions_by_ids(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, PolicyView]:
    query = (
        select(PolicyVersion, CancellationPolicy.code, CancellationPolicy.kind)
        .join(CancellationPolicy, CancellationPolicy.id == PolicyVersion.policy_id)
        .where(PolicyVersion.tenant_id == tenant_id, PolicyVersion.id.in_(list(ids)))
    )
    return {
        v.id: PolicyView(v, code, kind) for v, code, kind in (await session.execute(query)).all()
    }
