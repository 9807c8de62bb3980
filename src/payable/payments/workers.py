"""Background work, safe with several server processes: expire links, chase pending ones.

Rows are claimed with FOR UPDATE SKIP LOCKED and stamped ``checked_at`` in a short
transaction, so two workers never pick the same request; the gateway is asked after commit.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import structlog
from sqlalchemy import or_, select, update

from payable.core import clock
from payable.db.engine import Database
from payable.payments import lookup
from payable.payments import service as requests
from payable.payments.enums import PaymentRequestStatus as Status
from payable.payments.models import PaymentRequest
from payable.providers.registry import Providers
from payable.settings import Settings

log = structlog.get_logger("payable.workers")
BATCH = 50
RECHECK_AFTER = timedelta(minutes=1)


async def claim_pending(
    db: Database, *, older_than: timedelta, limit: int = BATCH
) -> list[tuple[uuid.UUID, str]]:
    """Pending requests due a lookup, stamped as being checked now."""
    now = clock.now()
    async with db.session() as session, session.begin():
        rows = (
            await session.execute(
                select(PaymentRequest.id, PaymentRequest.provider)
                .where(
                    PaymentRequest.status == Status.PENDING.value,
                    PaymentRequest.created_at <= now - older_than,
                    or_(
                        PaymentRequest.checked_at.is_(None),
                        PaymentRequest.checked_at <= now - RECHECK_AFTER,
                    ),
                )
                .order_by(PaymentRequest.checked_at.nulls_first(), PaymentRequest.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if rows:
            await session.execute(
                update(PaymentRequest)
                .where(PaymentRequest.id.in_([r.id for r in rows]))
                .values(checked_at=now)
            )
    return [(r.id, r.provider) for r in rows]


async def poll_pending(db: Database, providers: Providers, *, older_than: timedelta) -> int:
    """Look up pending requests at their gateway; how many were looked up."""
    claimed = await claim_pending(db, older_than=older_than)
    for request_id, provider in claimed:
        await lookup.check(db=db, provider=providers.by_name(provider), request_id=request_id)
    return len(claimed)


async def sweep_expired(db: Database, *, limit: int = BATCH) -> int:
    """Expire pending links past their expiry that nobody asked about (with their event)."""
    async with db.session() as session, session.begin():
        due = (
            await session.execute(
                select(PaymentRequest.id, PaymentRequest.tenant_id)
                .where(
                    PaymentRequest.status == Status.PENDING.value,
                    PaymentRequest.expires_at <= clock.now(),
                )
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
    expired = 0
    for row in due:
        async with db.session() as session, session.begin():
            request = await requests.lock_request(
                session=session, tenant_id=row.tenant_id, request_id=row.id
            )
            if request.status == Status.PENDING.value and request.expires_at <= clock.now():
                await requests.expire(session=session, request=request)
                expired += 1
    return expired


async def run(db: Database, providers: Providers, settings: Settings) -> None:
    """The loop the server runs until it stops."""
    older_than = timedelta(minutes=settings.poll_pending_after_minutes)
    while True:
        try:
            await sweep_expired(db)
            await poll_pending(db, providers, older_than=older_than)
        except Exception:  # a bad round must not end the loop; it is logged and retried
            log.exception("worker round failed")
        await asyncio.sleep(settings.worker_interval_seconds)
