"""Tenants are provisioned on first use, with a default cancellation policy per booking kind."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.core.principal import Principal
from payable.policies import service as policies
from payable.tenants.models import Tenant
from payable.verticals import registry

_known: dict[str, uuid.UUID] = {}


class TenantLimitReached(Exception):
    """Too many tenants were created lately; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"no new tenants for {retry_after} seconds")
        self.retry_after = retry_after


async def ensure(
    *,
    session: AsyncSession,
    slug: str,
    admit_new: Callable[[], Awaitable[int | None]] | None = None,
) -> uuid.UUID:
    """The tenant's id, creating it (and its default policies) the first time it is named.

    ``admit_new`` bounds creation: seconds to wait (refused, ``TenantLimitReached``) or None.
    """
    if slug in _known:
        return _known[slug]
    table = Tenant.__table__
    if admit_new is not None:
        existing = await session.scalar(select(table.c.id).where(table.c.slug == slug))
        await session.rollback()  # the autobegun read ends here; creation has its own
        if existing is None and (wait := await admit_new()) is not None:
            raise TenantLimitReached(wait)
    async with session.begin():
        created = await session.execute(
            insert(table)
            .values(id=uuid.uuid4(), slug=slug)
            .on_conflict_do_nothing()
            .returning(table.c.id)
        )
        tenant_id = created.scalar_one_or_none()
        if tenant_id is not None:
            for kind in registry.kinds():
                await policies.ensure_default(session=session, tenant_id=tenant_id, kind=kind)
        else:
            tenant_id = (
                await session.execute(select(table.c.id).where(table.c.slug == slug))
            ).scalar_one()
    _known[slug] = tenant_id
    return tenant_id


async def settings(*, session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """The tenant's own rules."""
    return (await session.execute(select(Tenant).where(Tenant.id == tenant_id))).scalar_one()


async def set_refund_four_eyes(
    *, session: AsyncSession, principal: Principal, required: bool
) -> uuid.UUID:
    """Whether the person who requested a refund may also approve it (admins decide)."""
    await session.execute(
        update(Tenant).where(Tenant.id == principal.tenant_id).values(refund_four_eyes=required)
    )
    return principal.tenant_id
