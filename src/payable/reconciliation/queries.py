"""Reading reconciliations: which days have a report, and a day's differences as recorded."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy import exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from payable.reconciliation import formats, matching
from payable.reconciliation.models import ProviderReport
from payable.tenants.models import Tenant

# Joined on arrays, not an IN list: a day may hold many thousands of differences.
_RECORDED = text("""
SELECT e.kind, e.reference, e.id, e.task_id
FROM reconciliation_exceptions e
JOIN unnest(CAST(:kinds AS text[]), CAST(:references AS text[])) AS k(kind, reference)
  ON e.kind = k.kind AND e.reference = k.reference
WHERE e.tenant_id = :tenant_id AND e.provider = :provider""")


async def tenant_id(*, session: AsyncSession, slug: str) -> uuid.UUID | None:
    """An existing tenant's id: reconciling never provisions a tenant."""
    return await session.scalar(select(Tenant.id).where(Tenant.slug == slug))


async def reported(
    *, session: AsyncSession, tenant_id: uuid.UUID, provider: str, day: date
) -> bool:
    """Whether a report of the day was imported: without one, everything would look missing."""
    return bool(
        await session.scalar(
            select(
                exists().where(
                    ProviderReport.tenant_id == tenant_id,
                    ProviderReport.provider == provider,
                    ProviderReport.report_date == day,
                )
            )
        )
    )


async def with_records(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    provider: str,
    findings: Sequence[matching.Finding],
) -> tuple[matching.Finding, ...]:
    """The findings with the exception row and review task each was recorded as, if any."""
    if not findings:
        return ()
    params = {
        "tenant_id": tenant_id,
        "provider": provider,
        "kinds": [f.kind.value for f in findings],
        "references": [f.reference for f in findings],
    }
    recorded = {(row.kind, row.reference): row for row in await session.execute(_RECORDED, params)}
    found = []
    for finding in findings:
        row = recorded.get((finding.kind.value, finding.reference))
        if row is not None:
            finding = replace(finding, exception_id=row.id, task_id=row.task_id)
        found.append(finding)
    return tuple(found)


async def reconciliation(
    *, session: AsyncSession, tenant_id: uuid.UUID, provider: str, day: date
) -> matching.Summary | None:
    """The day compared as it stands now; None when no report of the day was imported."""
    formats.parser_for(provider)
    if not await reported(session=session, tenant_id=tenant_id, provider=provider, day=day):
        return None
    summary = await matching.compare(
        session=session, tenant_id=tenant_id, provider=provider, day=day
    )
    found = await with_records(
        session=session, tenant_id=tenant_id, provider=provider, findings=summary.exceptions
    )
    return replace(summary, exceptions=found)
