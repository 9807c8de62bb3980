"""Background work, safe with several server processes: expire links, chase pending ones,
raise reminders, complete bookings whose service is over.

Rows are claimed with FOR UPDATE SKIP LOCKED and stamped ``checked_at`` in a short
transaction, so two workers never pick the same request; the gateway is asked after commit.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import structlog
from sqlalchemy import ColumnElement, or_, select, update

from payable.bookings import completion
from payable.core import clock
from payable.db.engine import Database
from payable.db.outage import log_failure
from payable.payments import callbacks, lookup
from payable.payments.enums import PaymentRequestStatus as Status
from payable.payments.models import PaymentRequest
from payable.providers.registry import Providers
from payable.refunds import workers as refund_workers
from payable.reports import reminders
from payable.settings import Settings
from payable.webhooks import worker as webhooks

log = structlog.get_logger("payable.workers")
BATCH = 50
RECHECK_AFTER = timedelta(minutes=1)


async def _claim(
    db: Database, *due: ColumnElement[bool], limit: int
) -> list[tuple[uuid.UUID, str]]:
    """Pending requests matching ``due``, stamped as being checked now so no other worker takes
    them (SKIP LOCKED while this transaction decides, ``checked_at`` after it commits)."""
    now = clock.now()
    async with db.session() as session, session.begin():
        rows = (
            await session.execute(
                select(PaymentRequest.id, PaymentRequest.provider)
                .where(
                    PaymentRequest.status == Status.PENDING.value,
                    or_(
                        PaymentRequest.checked_at.is_(None),
                        PaymentRequest.checked_at <= now - RECHECK_AFTER,
                    ),
                    *due,
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
    """Look up requests pending for longer than ``older_than``; how many were settled."""
    claimed = await _claim(db, PaymentRequest.created_at <= clock.now() - older_than, limit=BATCH)
    return sum([await _look_up(db, providers, request_id, name) for request_id, name in claimed])


async def sweep_expired(db: Database, providers: Providers, *, limit: int = BATCH) -> int:
    """Settle pending links past their expiry: the gateway is asked first, so money taken in
    time whose callback was lost is recorded, and only a link nobody paid becomes EXPIRED."""
    claimed = await _claim(db, PaymentRequest.expires_at <= clock.now(), limit=limit)
    return sum([await _look_up(db, providers, request_id, name) for request_id, name in claimed])


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


async def cancel_withdrawn(db: Database, providers: Providers, *, limit: int = BATCH) -> int:
    """Cancel at the gateway the orders of links withdrawn here; a paid one is recorded (HELD)."""
    async with db.session() as session, session.begin():
        rows = (
            await session.execute(
                select(PaymentRequest.id, PaymentRequest.provider, PaymentRequest.provider_order_id)
                .where(PaymentRequest.reverse_pending.is_(True))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if rows:  # claimed: another worker skips them until the next round
            await session.execute(
                update(PaymentRequest)
                .where(PaymentRequest.id.in_([r.id for r in rows]))
                .values(reverse_pending=False)
            )
    for row in rows:
        provider = providers.by_name(row.provider)
        try:
            await provider.reverse(row.provider_order_id or "")
        except Exception:  # not reversible (paid?) or unreachable: what the gateway holds decides
            if await _look_up(db, providers, row.id, row.provider) == 0:
                await _mark_reverse_pending(db, row.id)
    return len(rows)


async def _mark_reverse_pending(db: Database, request_id: uuid.UUID) -> None:
    async with db.session() as session, session.begin():
        await session.execute(
            update(PaymentRequest)
            .where(PaymentRequest.id == request_id)
            .values(reverse_pending=True)
        )


async def run(db: Database, providers: Providers, settings: Settings) -> None:
    """The loop the server runs until it stops."""
    older_than = timedelta(minutes=settings.poll_pending_after_minutes)
    complete_after = timedelta(hours=settings.complete_after_hours)
    while True:
        try:
            await sweep_expired(db, providers)
            await cancel_withdrawn(db, providers)
            await refund_workers.settle_open(db, providers)
            await reminders.remind(db=db, today=clock.today())
            await poll_pending(db, providers, older_than=older_than)
            await callbacks.resume_stalled(db, providers, older_than=older_than)
            await completion.complete_finished(db=db, after=complete_after)
            await webhooks.deliver(db, settings)
        except Exception as error:  # a bad round must not end the loop; it is logged, retried
            log_failure(log, "worker round failed", error)
        await asyncio.sleep(settings.worker_interval_seconds)
