"""Writing audit entries in their own transaction, so the refused change's rollback keeps them."""

from __future__ import annotations

import uuid

from sqlalchemy import insert

from payable.audit.models import AuditEntry
from payable.core.principal import Principal
from payable.db.engine import Database


async def refused(*, db: Database, principal: Principal, operation: str, outcome: str) -> None:
    async with db.session() as session, session.begin():
        await session.execute(
            insert(AuditEntry.__table__).values(
                id=uuid.uuid4(),
                tenant_id=principal.tenant_id,
                actor=principal.sub,
                role=principal.role.value,
                operation=operation,
                outcome=outcome,
            )
        )
