"""One LISTEN connection per process, waking the feed of the tenant that changed.

The event table is the source of truth: a notification only says "look again". Feeds re-read
from their position when woken, when the listening connection comes back after a drop (it
re-LISTENs first, then wakes every feed), and on a slow periodic poll, so a lost
notification delays an event but never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable

import asyncpg
import structlog

from payable.db.engine import Database
from payable.timeline import stream
from payable.timeline.feeds import Delivery, Subscriber, TenantFeed
from payable.timeline.service import CHANNEL

log = structlog.get_logger("payable.hub")
LISTENER_NAME = "payable-listener"  # how the listening connection shows in pg_stat_activity


class EventHub:
    def __init__(
        self,
        dsn: str,
        db: Database,
        *,
        poll_seconds: float = 10.0,
        batch: int = 100,
        retry_seconds: float = 1.0,
    ) -> None:
        self.dsn = dsn
        self.db = db
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.retry_seconds = retry_seconds
        self._feeds: dict[uuid.UUID, TenantFeed] = {}
        self._joining: dict[uuid.UUID, asyncio.Lock] = {}
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    async def subscribe(
        self, tenant_id: uuid.UUID, accepts: Callable[[Delivery], bool], capacity: int
    ) -> tuple[Subscriber, int]:
        """A subscriber of the tenant's feed, and the feed's position when it joined: every
        event after that position will be offered to it."""
        async with self._joining.setdefault(tenant_id, asyncio.Lock()):
            feed = self._feeds.get(tenant_id)
            if feed is None:
                async with self.db.session() as session:
                    position = await stream.head(session=session, tenant_id=tenant_id)
                feed = self._feeds[tenant_id] = TenantFeed(self.db, tenant_id, position, self.batch)
            subscriber = Subscriber(accepts, capacity)
            feed.subscribers.add(subscriber)
            return subscriber, feed.position

    async def unsubscribe(self, tenant_id: uuid.UUID, subscriber: Subscriber) -> None:
        feed = self._feeds.get(tenant_id)
        if feed is None:
            return
        feed.subscribers.discard(subscriber)
        if not feed.subscribers:
            del self._feeds[tenant_id]
            await feed.stop()

    @property
    def subscribers(self) -> int:
        return sum(len(feed.subscribers) for feed in self._feeds.values())

    @property
    def queued(self) -> int:
        """Events waiting in subscribers' queues, not yet sent."""
        return sum(s.queued for feed in self._feeds.values() for s in feed.subscribers)

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever())

    async def stop(self) -> None:
        """End every subscription (their streams complete), then stop listening."""
        for feed in list(self._feeds.values()):
            for subscriber in list(feed.subscribers):
                subscriber.close("server shutting down")
            await feed.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _wake(self, tenant_id: uuid.UUID | None = None) -> None:
        if tenant_id is None:
            feeds = list(self._feeds.values())
        else:
            feeds = [self._feeds[tenant_id]] if tenant_id in self._feeds else []
        for feed in feeds:
            feed.wake()

    def _on_notify(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            self._wake(uuid.UUID(payload))
        except ValueError:
            self._wake()

    async def _listen_forever(self) -> None:
        while True:
            try:
                connection = await asyncpg.connect(
                    self.dsn, server_settings={"application_name": LISTENER_NAME}
                )
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("listen connect failed", error=type(error).__name__)
                await asyncio.sleep(self.retry_seconds)
                continue
            try:
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, self._on_notify)
                self.connected.set()
                self._wake()  # listening again: every feed re-reads what a gap may have hidden
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.poll_seconds):
                            await lost.wait()
                    self._wake()  # the slow poll: covers anything a notification missed
                    # A half-dead connection tells nobody: ask it something now and then.
                    async with asyncio.timeout(self.poll_seconds):
                        await connection.fetchval("SELECT 1")
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("listen connection lost", error=type(error).__name__)
            finally:
                self.connected.clear()
                with contextlib.suppress(Exception):
                    await connection.close()
