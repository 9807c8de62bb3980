"""One LISTEN connection per process, waking the subscribers of the tenant that changed.

The event table is the source of truth: a notification only says "look again". Subscribers
re-read from their last sequence when woken, when the listening connection comes back after
a drop (it re-LISTENs first, then wakes everyone), and on a slow periodic poll, so a lost
notification delays an event but never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict

import asyncpg
import structlog

from payable.timeline.service import CHANNEL

log = structlog.get_logger("payable.hub")
LISTENER_NAME = "payable-listener"  # how the listening connection shows in pg_stat_activity


class Waker:
    """What one subscriber waits on."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.closed_reason: str | None = None

    def wake(self) -> None:
        self._event.set()

    def close(self, reason: str) -> None:
        self.closed_reason = reason
        self._event.set()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._event.wait()
        self._event.clear()


class EventHub:
    def __init__(self, dsn: str, *, poll_seconds: float = 10.0, retry_seconds: float = 1.0) -> None:
        self.dsn = dsn
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self._wakers: dict[uuid.UUID, set[Waker]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def subscribe(self, tenant_id: uuid.UUID) -> Waker:
        waker = Waker()
        self._wakers[tenant_id].add(waker)
        return waker

    def unsubscribe(self, tenant_id: uuid.UUID, waker: Waker) -> None:
        self._wakers[tenant_id].discard(waker)
        if not self._wakers[tenant_id]:
            del self._wakers[tenant_id]

    @property
    def subscribers(self) -> int:
        return sum(len(w) for w in self._wakers.values())

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever())

    async def stop(self) -> None:
        """End every subscription (their streams complete), then stop listening."""
        for wakers in list(self._wakers.values()):
            for waker in list(wakers):
                waker.close("server shutting down")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _wake(self, tenant_id: uuid.UUID | None = None) -> None:
        groups = [self._wakers.get(tenant_id, set())] if tenant_id else self._wakers.values()
        for wakers in list(groups):
            for waker in list(wakers):
                waker.wake()

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
                self._wake()  # listening again: everyone re-reads what a gap may have hidden
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
