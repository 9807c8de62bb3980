"""Delivering: claim due deliveries, send them, record each answer. Safe with many servers.

A claim locks rows with FOR UPDATE SKIP LOCKED and leases them (``locked_until``) in a short
transaction, so no two workers send the same attempt; answers are recorded only for the
attempt that was claimed. A booking's delivery waits while an earlier one of the same booking
for the same endpoint is still pending, so each receiver gets a booking's events in order.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import structlog
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from payable.bookings.models import Booking
from payable.core import clock, ids
from payable.db.engine import Database
from payable.reviews import service as reviews
from payable.reviews.models import TaskKind
from payable.settings import Settings
from payable.timeline.models import BookingEvent
from payable.webhooks import addresses, payload, planner, sending
from payable.webhooks import service as webhooks
from payable.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

log = structlog.get_logger("payable.webhooks")
BATCH = 100
PARALLEL = 20
LEASE = timedelta(seconds=60)  # longer than any attempt (the timeout), so leases never overlap
MAX_DELAY = timedelta(hours=4)
ROUND_SECONDS = 20.0  # then the worker loop's other jobs get their turn


@dataclass(frozen=True, slots=True)
class Claimed:
    id: uuid.UUID
    attempt: int
    endpoint_id: uuid.UUID
    tenant_id: uuid.UUID
    retry_from: datetime
    request: sending.Request


def backoff(attempt: int, base_seconds: float) -> timedelta:
    """base * 2^(attempt-1), at most MAX_DELAY, with jitter so failed receivers are not hit
    by every delivery at once when they come back."""
    delay = min(base_seconds * 2 ** min(attempt - 1, 30), MAX_DELAY.total_seconds())
    return timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))


async def claim(db: Database, *, limit: int = BATCH) -> list[Claimed]:
    now = clock.now()
    d, earlier = WebhookDelivery, aliased(WebhookDelivery)
    async with db.session() as session, session.begin():
        rows = (
            await session.execute(
                select(d.id, d.attempts)
                .join(WebhookEndpoint, WebhookEndpoint.id == d.endpoint_id)
                .where(
                    WebhookEndpoint.active.is_(True),
                    d.status == DeliveryStatus.PENDING.value,
                    d.next_attempt_at <= now,
                    or_(d.locked_until.is_(None), d.locked_until <= now),
                    ~exists().where(
                        and_(
                            earlier.endpoint_id == d.endpoint_id,
                            earlier.booking_id == d.booking_id,
                            earlier.status == DeliveryStatus.PENDING.value,
                            earlier.sequence < d.sequence,
                        )
                    ),
                )
                .order_by(d.next_attempt_at, d.sequence)
                .limit(limit)
                .with_for_update(of=d, skip_locked=True)
            )
        ).all()
        if not rows:
            return []
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([r.id for r in rows]))
            .values(attempts=WebhookDelivery.attempts + 1, locked_until=now + LEASE)
        )
        details = (
            await session.execute(
                select(WebhookDelivery, WebhookEndpoint, BookingEvent, Booking.kind)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .join(BookingEvent, BookingEvent.id == WebhookDelivery.event_id)
                .join(Booking, Booking.id == WebhookDelivery.booking_id)
                .where(WebhookDelivery.id.in_([r.id for r in rows]))
                .order_by(WebhookDelivery.sequence)
            )
        ).all()
    attempts = {r.id: r.attempts + 1 for r in rows}
    return [
        Claimed(
            id=delivery.id,
            attempt=attempts[delivery.id],
            endpoint_id=endpoint.id,
            tenant_id=endpoint.tenant_id,
            retry_from=delivery.retry_from,
            request=sending.Request(
                delivery_id=ids.to_global_id("WebhookDelivery", delivery.id),
                event_id=payload.event_id(event),
                url=endpoint.url,
                secret=endpoint.secret,
                body=payload.body(event, kind),
            ),
        )
        for delivery, endpoint, event, kind in details
    ]


async def record(
    db: Database, claimed: Claimed, answer: sending.Answer, settings: Settings
) -> None:
    """Store one attempt's outcome, unless the delivery moved on meanwhile (deleted endpoint,
    a lease that ran out and a newer attempt)."""
    now = clock.now()
    values: dict[str, object] = {
        "last_response_status": answer.status,
        "last_error": answer.error,
        "locked_until": None,
    }
    gone = answer.status == 410
    if answer.delivered:
        values |= {"status": DeliveryStatus.SUCCEEDED.value, "delivered_at": now}
        values["next_attempt_at"] = None
    elif gone or now - claimed.retry_from >= timedelta(hours=settings.webhook_retry_hours):
        values |= {"status": DeliveryStatus.FAILED.value, "next_attempt_at": None}
    else:
        values["next_attempt_at"] = now + backoff(
            claimed.attempt, settings.webhook_retry_base_seconds
        )
    async with db.session() as session, session.begin():
        updated = await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == claimed.id,
                WebhookDelivery.attempts == claimed.attempt,
                WebhookDelivery.status == DeliveryStatus.PENDING.value,
            )
            .values(**values)
        )
        if gone and updated.rowcount:
            await _disable(session, claimed)


async def _disable(session: AsyncSession, claimed: Claimed) -> None:
    """410 Gone: the receiver says it will never want these again. Stop, and tell the admins."""
    endpoint = await session.get(WebhookEndpoint, claimed.endpoint_id, with_for_update=True)
    if endpoint is None or not endpoint.active:
        return
    endpoint.active, endpoint.disabled_reason = False, "410 Gone"
    await webhooks.give_up_pending(
        session=session, endpoint_id=endpoint.id, why="endpoint disabled: the receiver answered 410"
    )
    await reviews.raise_task(
        session=session,
        tenant_id=endpoint.tenant_id,
        booking_id=None,
        kind=TaskKind.WEBHOOK_DISABLED,
        details={
            "endpointId": str(endpoint.id),
            "url": endpoint.url,
            "deliveryId": str(claimed.id),
            "status": 410,
        },
    )
    log.warning("webhook endpoint disabled", endpoint_id=str(endpoint.id), status=410)


async def deliver(db: Database, settings: Settings, *, seconds: float = ROUND_SECONDS) -> int:
    """Plan new events, then send what is due until nothing is or ``seconds`` passed; how many
    deliveries succeeded. One call of the server's worker loop."""
    production = addresses.guarded(settings)
    timeout = settings.webhook_timeout_seconds
    gate = asyncio.Semaphore(PARALLEL)
    succeeded = 0

    async def one(http: httpx.AsyncClient, claimed: Claimed) -> bool:
        async with gate:
            try:
                answer = await sending.send(
                    http, claimed.request, timeout=timeout, production=production
                )
            except Exception as failure:  # one bad attempt must not end the others' round
                log.exception("webhook attempt failed", delivery_id=str(claimed.id))
                answer = sending.Answer(None, type(failure).__name__)
        await record(db, claimed, answer, settings)
        return answer.delivered

    deadline = time.monotonic() + seconds
    await planner.plan(db)
    claimed = await claim(db)
    if not claimed:
        return 0  # the common round: two small queries, no HTTP client built
    async with sending.client(timeout) as http:
        while claimed:
            results = await asyncio.gather(*(one(http, c) for c in claimed))
            succeeded += sum(results)
            if time.monotonic() >= deadline:
                break
            await planner.plan(db)
            claimed = await claim(db)
    return succeeded
