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
        await _look_up(db, providers, request_id, provider)
    return len(claimed)


async def sweep_expired(db: Database, providers: Providers, *, limit: int = BATCH) -> int:
    """Settle pending links past their expiry: the gateway is asked first, so money taken in
    time whose callback was lost is recorded, and only a link nobody paid becomes EXPIRED."""
    async with db.session() as session, session.begin():
        due = (
            await session.execute(
                select(PaymentRequest.id, PaymentRequest.provider)
                .where(
                    PaymentRequest.status == Status.PENDING.value,
                    PaymentRequest.expires_at <= clock.now(),
                )
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
    settled = 0
    for row in due:
        settled += await _look_up(db, providers, row.id, row.provider)
    return settled


async def _look_up(db: Database, providers: Providers, request_id: uuid.UUID, provider: str) -> int:
    """One lookup; a failure is logged and recorded on the request, never ends the round."""
    try:
        error = await lookup.check(
            db=db, provider=providers.by_name(provider), request_id=request_id
        )
    except Exception as failure:  # one bad row must not stop the others
        log.exception("lookup failed", payment_request_id=str(request_id), provider=provider)
        error = type(failure).__name__
        async with db.session() as session, session.begin():
            await session.execute(
                update(PaymentRequest)
                .where(PaymentRequest.id == request_id)
                .values(last_error=error[:64])
            )
    return 0 if error else 1


async def run(db: Database, providers: Providers, settings: Settings) -> None:
    """The loop the server runs until it stops."""
    older_than = timedelta(minutes=settings.poll_pending_after_minutes)
    while True:
        try:
            await sweep_expired(db, providers)
            await poll_pending(db, providers, older_than=older_than)
        except Exception:  # a bad round must not end the loop; it is logged and retried
            log.exception("worker round failed")
        await asyncio.sleep(settings.worker_interval_seconds)
