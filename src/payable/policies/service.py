"""Finding the policy version a new booking is made under; creating the defaults."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from payable.core import text
from payable.core.principal import Principal
from payable.policies.models import CancellationPolicy, PolicyVersion
from payable.policies.refusals import PolicyRefusal
from payable.verticals import registry

SYSTEM_ACTOR = "system"


async def ensure_default(*, session: AsyncSession, tenant_id: uuid.UUID, kind: str) -> None:
    """The kind's default policy with its first version, unless the tenant has one: a kind
    registered after the tenant was created gets it on first need. One statement, so two
    requests racing for it create one (the loser's insert does nothing)."""
    vertical = registry.get(kind)
    policies = CancellationPolicy.__table__
    created = (
        pg_insert(policies)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            kind=kind,
            code=vertical.default_policy_code,
            is_default=True,
        )
        .on_conflict_do_nothing()
        .returning(policies.c.id)
        .cte("created")
    )
    await session.execute(
        insert(PolicyVersion.__table__).from_select(
            ["id", "tenant_id", "policy_id", "version", "published_by", *vertical.policy_terms],
            select(
                func.gen_random_uuid(),
                literal(tenant_id),
                created.c.id,
                literal(1),
                literal(SYSTEM_ACTOR),
                *(literal(value) for value in vertical.policy_terms.values()),
            ),
        )
    )


async def current_version_id(
    *, session: AsyncSession, tenant_id: uuid.UUID, kind: str, code: str | None
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
        else query.where(policy.kind == kind, policy.is_default)
    )
    row = (await session.execute(query)).first()
    if row is None and not code:
        await ensure_default(session=session, tenant_id=tenant_id, kind=kind)
        row = (await session.execute(query)).first()
    if row is None:
        raise PolicyRefusal.UNKNOWN_POLICY.error(
            "policyCode", f"no cancellation policy with code {code!r}"
        )
    if row.kind != kind:
        raise PolicyRefusal.POLICY_KIND_MISMATCH.error(
            "policyCode", f"policy {code!r} is not for {kind}"
        )
    return row.id


@dataclass(frozen=True, slots=True)
class Terms:
    free_cancellation_hours: int
    late_cancellation_refund_percent: int
    no_show_refund_percent: int

    def validate(self) -> None:
        if not 0 <= self.free_cancellation_hours <= 24 * 365:
            raise PolicyRefusal.INVALID_POLICY.error(
                "freeCancellationHours", "freeCancellationHours must be 0 to 8760"
            )
        for name, value in (
            ("lateCancellationRefundPercent", self.late_cancellation_refund_percent),
            ("noShowRefundPercent", self.no_show_refund_percent),
        ):
            if not 0 <= value <= 100:
                raise PolicyRefusal.INVALID_POLICY.error(name, f"{name} must be 0 to 100")


async def publish(
    *,
    session: AsyncSession,
    principal: Principal,
    kind: str,
    code: str,
    terms: Terms,
    make_default: bool,
) -> uuid.UUID:
    """A new version of ``code`` (or its first). Bookings keep the version they were made under."""
    code = text.limit(code, field="code", max_length=text.SHORT_MAX)
    if not code:
        raise PolicyRefusal.INVALID_POLICY.error("code", "code must not be blank")
    terms.validate()
    # One publisher at a time per tenant and kind: two new defaults must not cross.
    await session.execute(
        select(
            func.pg_advisory_xact_lock(func.hashtextextended(f"{principal.tenant_id}:{kind}", 0))
        )
    )
    policies = CancellationPolicy.__table__
    # The first publish of a code creates it; concurrent first publishes meet on the unique
    # code, and the row lock below numbers their versions one after the other.
    await session.execute(
        pg_insert(policies)
        .values(
            id=uuid.uuid4(),
            tenant_id=principal.tenant_id,
            kind=kind,
            code=code,
            is_default=False,
        )
        .on_conflict_do_nothing(index_elements=[policies.c.tenant_id, policies.c.code])
    )
    policy = (
        await session.execute(
            select(policies)
            .where(policies.c.tenant_id == principal.tenant_id, policies.c.code == code)
            .with_for_update()
        )
    ).one()
    if policy.kind != kind:
        raise PolicyRefusal.POLICY_KIND_MISMATCH.error(
            "kind", f"policy {code!r} is for {policy.kind}"
        )
    policy_id = policy.id
    latest = await session.scalar(
        select(func.max(PolicyVersion.version)).where(PolicyVersion.policy_id == policy_id)
    )
    version = (latest or 0) + 1
    if make_default:
        await session.execute(
            update(policies)
            .where(
                policies.c.tenant_id == principal.tenant_id,
                policies.c.kind == kind,
                policies.c.id != policy_id,
            )
            .values(is_default=False)
        )
        await session.execute(
            update(policies).where(policies.c.id == policy_id).values(is_default=True)
        )
    version_id = uuid.uuid4()
    await session.execute(
        insert(PolicyVersion.__table__).values(
            id=version_id,
            tenant_id=principal.tenant_id,
            policy_id=policy_id,
            version=version,
            published_by=principal.sub,
            free_cancellation_hours=terms.free_cancellation_hours,
            late_cancellation_refund_percent=terms.late_cancellation_refund_percent,
            no_show_refund_percent=terms.no_show_refund_percent,
        )
    )
    return version_id
