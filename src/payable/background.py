"""The loop every server process runs: each domain's background round in turn. Each round is
safe with several processes (rows are claimed with SKIP LOCKED or unique claims)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from payable.bookings import completion, due_reminders
from payable.core import clock
from payable.db.engine import Database
from payable.db.outage import log_failure
from payable.payments import callbacks
from payable.payments import workers as payments
from payable.providers.registry import Providers
from payable.refunds import workers as refunds
from payable.settings import Settings
from payable.webhooks import worker as webhooks

log = structlog.get_logger("payable.workers")


async def run(db: Database, providers: Providers, settings: Settings) -> None:
    """The loop the server runs until it stops."""
    older_than = timedelta(minutes=settings.poll_pending_after_minutes)
    complete_after = timedelta(hours=settings.complete_after_hours)
    while True:
        try:
            await payments.sweep_expired(db, providers)
            await payments.cancel_withdrawn(db, providers)
            await refunds.settle_open(db, providers)
            await due_reminders.remind(db=db, today=clock.today())
            await payments.poll_pending(db, providers, older_than=older_than)
            await callbacks.resume_stalled(db, providers, older_than=older_than)
            await completion.complete_finished(db=db, after=complete_after)
            await webhooks.deliver(db, settings)
        except Exception as error:  # a bad round must not end the loop; it is logged, retried
            log_failure(log, "worker round failed", error)
        await asyncio.sleep(settings.worker_interval_seconds)
