"""One reader per tenant, many subscribers: new events are read once and fanned out.

Each subscriber has a bounded queue. The feed reads the tenant's new events (with their
bookings) once per wake-up and offers them to every subscriber, which keeps the ones its
filter accepts. A subscriber whose queue is full is marked overflowed and ends with
SLOW_CONSUMER (it resumes with ``after``); memory never grows with a slow consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from payable.bookings import queries as bookings
from payable.db.engine import Database
from payable.timeline import stream
from payable.timeline.models import BookingEvent

log = structlog.get_logger("payable.feeds")


@dataclass(frozen=True, slots=True)
class Delivery:
    event: BookingEvent
    booking: bookings.BookingView  # as it was when the event was read
    # Filled by the subscribers it is offered to: each distinct selection's result, executed
    # once (payable.graphql.shared_events).
    answers: dict[Any, Any] = field(default_factory=dict, compare=False)


class Subscriber:
    def __init__(self, accepts: Callable[[Delivery], bool], capacity: int) -> None:
        self.accepts = accepts
        self.capacity = capacity
        self.overflowed = False
        self.closed_reason: str | None = None
        self._queue: asyncio.Queue[Delivery | None] = asyncio.Queue()

    def offer(self, delivery: Delivery) -> None:
        if self.overflowed or self.closed_reason or not self.accepts(delivery):
            return
        if self._queue.qsize() >= self.capacity:
            self.overflowed = True
            self._queue.put_nowait(None)  # wake the consumer to tell it
            return
        self._queue.put_nowait(delivery)

    def close(self, reason: str) -> None:
        self.closed_reason = reason
        self._queue.put_nowait(None)

    async def next(self) -> Delivery | None:
        """The next delivery; None once overflowed or closed."""
        delivery = await self._queue.get()
        return None if self.overflowed or self.closed_reason else delivery

    def queued_now(self, limit: int = 64) -> list[Delivery]:
        """Up to ``limit`` deliveries already queued, without waiting; none once overflowed
        or closed (the next ``next`` says so)."""
        taken: list[Delivery] = []
        while len(taken) < limit and not (self.overflowed or self.closed_reason):
            if self._queue.empty():
                break
            delivery = self._queue.get_nowait()
            if delivery is None:
                break
            taken.append(delivery)
        return taken

    @property
    def idle(self) -> bool:
        return self._queue.empty()

    @property
    def queued(self) -> int:
        return self._queue.qsize()


class TenantFeed:
    def __init__(self, db: Database, tenant_id: uuid.UUID, position: int, batch: int) -> None:
        self.db = db
        self.tenant_id = tenant_id
        self.position = position  # the last sequence read and offered
        self.batch = batch
        self.subscribers: set[Subscriber] = set()
        self._reading: asyncio.Task[None] | None = None
        self._again = False

    def wake(self) -> None:
        if self._reading is not None and not self._reading.done():
            self._again = True  # the running read goes round once more
            return
        self._reading = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading

    async def _read(self) -> None:
        try:
            while True:
                self._again = False
                # One statement, no transaction (it sees committed rows either way): each round
                # trip here waits its turn on a loop busy sending the previous events.
                async with self.db.read_session() as session:
                    events = await stream.after_with_bookings(
                        session=session,
                        tenant_id=self.tenant_id,
                        sequence=self.position,
                        limit=self.batch,
                    )
                for event, booking in events:
                    delivery = Delivery(event, booking)
                    for subscriber in list(self.subscribers):
                        subscriber.offer(delivery)
                    self.position = event.sequence
                if len(events) < self.batch and not self._again:
                    return
        except Exception:  # the next wake-up or poll reads again from the same position
            log.exception("feed read failed", tenant_id=str(self.tenant_id))
