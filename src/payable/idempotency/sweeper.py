"""Keep the key store bounded: keys past their retention are deleted in small batches."""

from __future__ import annotations

import asyncio

import structlog
from sqlalchemy import delete, func, select, tuple_

from payable.db.engine import Database
from payable.db.outage import log_failure
from payable.idempotency.models import IdempotencyKey
from payable.metrics import families

log = structlog.get_logger("payable.idempotency")
_table = IdempotencyKey.__table__
BATCH = 1000


async def sweep(*, db: Database, batch: int = BATCH) -> int:
    """Delete expired keys; how many. SKIP LOCKED: a key being re-claimed is left to its claimer."""
    deleted = 0
    while True:
        async with db.session() as session, session.begin():
            expired = (
                select(_table.c.tenant_id, _table.c.key)
                .where(_table.c.expires_at <= func.now())
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
            result = await session.execute(
                delete(_table).where(tuple_(_table.c.tenant_id, _table.c.key).in_(expired))
            )
        deleted += result.rowcount
        if result.rowcount < batch:
            return deleted


async def run(db: Database, *, interval_seconds: float) -> None:
    """The loop the server runs until it stops."""
    while True:
        try:
            with families.WORKER_ROUND.labels("idempotency_sweep").time():
                await sweep(db=db)
        except Exception as error:  # a bad round must not end the loop; it is logged, retried
            log_failure(log, "idempotency sweep failed", error)
        await asyncio.sleep(interval_seconds)
