"""The loop every server process runs: each domain's background round in turn. Each round is
safe with several processes (rows are claimed with SKIP LOCKED or unique claims)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from payable.bookings import completion, due_reminders
from payable.core import clock
from payable.db.engine import Database
from payable.db.outage import log_failure
from payable.metrics import families
from payable.payments import callbacks
from payable.payments import workers as payments
from payable.providers.registry import Providers
from payable.refunds import workers as refunds
from payable.settings import Settings
from payable.webhooks import worker as webhooks

log = structlog.get_logger("payable.workers")


async def one_round(db: Database, providers: Providers, settings: Settings) -> None:
    """Each job once, in order; each one's time goes to payable_worker_round_duration_seconds."""
    older_than = timedelta(minutes=settings.poll_pending_after_minutes)
    complete_after = timedelta(hours=settings.complete_after_hours)
    jobs: tuple[tuple[str, Callable[[], Awaitable[object]]], ...] = (
        ("expiry_sweep", lambda: payments.sweep_expired(db, providers)),
        ("withdrawn_cancel", lambda: payments.cancel_withdrawn(db, providers)),
        ("refund_settle", lambda: refunds.settle_open(db, providers)),
        ("reminders", lambda: due_reminders.remind(db=db, today=clock.today())),
        ("pending_poll", lambda: payments.poll_pending(db, providers, older_than=older_than)),
        ("callback_resume", lambda: callbacks.resume_stalled(db, providers, older_than=older_than)),
        ("completion", lambda: completion.complete_finished(db=db, after=complete_after)),
        ("webhook_delivery", lambda: webhooks.deliver(db, settings)),
    )
    for name, job in jobs:
        with families.WORKER_ROUND.labels(name).time():
            await job()


async def run(db: Database, providers: Providers, settings: Settings) -> None:
    """The loop the server runs until it stops."""
    while True:
        try:
            await one_round(db, providers, settings)
        except Exception as error:  # a bad round must not end the loop; it is logged, retried
            log_failure(log, "worker round failed", error)
        await asyncio.sleep(settings.worker_interval_seconds)
