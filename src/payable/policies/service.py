"""Finding the policy version a new booking is made under; creating the defaults."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payable.bookings.enums import BookingKind
from payable.core.errors import DomainError
from payable.policies.models import CancellationPolicy, PolicyVersion

# A fresh tenant's terms: free cancellation up to 24 h before, 50% after, nothing for a no-show.
DEFAULT_TERMS = {
    "free_cancellation_hours": 24,
    "late_cancellation_refund_percent": 50,
    "no_show_refund_percent": 0,
}
SYSTEM_ACTOR = "system"


def default_code(kind: BookingKind) -> str:
    return f"{kind.value.split('_')[0].lower()}-standard"


async def create_default(*, session: AsyncSession, tenant_id: uuid.UUID, kind: BookingKind) -> None:
    policy = CancellationPolicy(
        tenant_id=tenant_id, kind=kind.value, code=default_code(kind), is_default=True
    )
    session.add(policy)
    await session.flush()
    session.add(
        PolicyVersion(
            tenant_id=tenant_id,
            policy_id=policy.id,
            version=1,
            published_by=SYSTEM_ACTOR,
            **DEFAULT_TERMS,
        )
    )
    await session.flush()


async def current_version_id(
    *, session: AsyncSession, tenant_id: uuid.UUID, kind: BookingKind, code: str | None
) -> uuid.UUID:
    """The latest version of the named policy (or the kind's default) for a new booking."""
    policy = CancellationPolicy.__table__.c
    version = PolicyVersion.__table__.c
    query = (
        select(version.id, policy.kind)
        .join_from(
            PolicyVersion.__table__, CancellationPolicy.__table__, version.policy_id == policy.id
        )
        .where(policy.tenant_id == tenant_id)
        .order_by(version.version.desc())
        .limit(1)
    )
    query = (
        query.where(policy.code == code)
        if code
        else query.where(policy.kind == kind.value, policy.is_default)
    )
    row = (await session.execute(query)).first()
    if row is None:
        raise DomainError(
            "UNKNOWN_POLICY", f"no cancellation policy with code {code!r}", "policyCode"
        )
    if row.kind != kind.value:
        raise DomainError(
            "POLICY_KIND_MISMATCH", f"policy {code!r} is not for {kind.value}", "policyCode"
        )
    return row.id
