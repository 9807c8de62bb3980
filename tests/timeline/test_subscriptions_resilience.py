"""bookingEvents when things go wrong: out-of-order commits, several processes, a dropped
listener, a slow consumer, shutdown, and tenants side by side.

Real PostgreSQL, a real client (gql over websockets) and, where stated, real `payable serve`
processes. Every wait is bounded, so a broken guarantee fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from gql import gql
from gql.transport.exceptions import TransportError, TransportQueryError
from websockets.exceptions import ConnectionClosed

from payable.core.principal import Role
from payable.core.tokens import issue
from payable.db.engine import asyncpg_dsn, normalize_url
from payable.timeline.hub import LISTENER_NAME, EventHub
from payable.timeline.service import CHANNEL
from tests.api import Api
from tests.conftest import JWT_SECRET
from tests.timeline.live import client, free_port, serve
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

EVENTS = """subscription($after: String) {
  bookingEvents(after: $after) { sequence type actor booking { id } } }"""

# A subscriber that is only woken by the slow poll would need up to this long (the app's
# default subscription_poll_seconds is 10 s); anything that must be faster uses FAST.
POLL_BACKSTOP = 12.0
FAST = 5.0
QUIET = 0.5  # how long "nothing else arrives" is watched


# --- Helpers -----------------------------------------------------------------------------------


@dataclass
class Feed:
    """One subscription, drained by a background task into a queue so that every read is
    bounded: an item is an event (dict), the error that ended the stream, or None when the
    server completed it."""

    items: asyncio.Queue[dict[str, Any] | BaseException | None] = field(
        default_factory=asyncio.Queue
    )

    async def next(self, timeout: float = FAST) -> dict[str, Any] | BaseException | None:
        async with asyncio.timeout(timeout):
            return await self.items.get()

    async def event(self, timeout: float = FAST) -> dict[str, Any]:
        item = await self.next(timeout)
        assert isinstance(item, dict), f"expected an event, the stream gave {item!r}"
        return item

    async def events(self, count: int, timeout: float = FAST) -> list[dict[str, Any]]:
        return [await self.event(timeout) for _ in range(count)]

    async def assert_quiet(self, seconds: float = QUIET) -> None:
        """Nothing more arrives for a while."""
        await asyncio.sleep(seconds)
        assert self.items.empty(), f"unexpected: {self.items.get_nowait()!r}"


@contextlib.asynccontextmanager
async def subscribed(
    session: Any, after: str | None = None, document: str = EVENTS
) -> AsyncIterator[Feed]:
    feed = Feed()

    async def drain() -> None:
        request = gql(document)
        request.variable_values = {"after": after}
        try:
            async for result in session.subscribe(request):
                await feed.items.put(result["bookingEvents"])
        except Exception as error:  # the stream's end is what some tests are about
            await feed.items.put(error)
        else:
            await feed.items.put(None)

    task = asyncio.create_task(drain())
    try:
        yield feed
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)


async def live_subscribers_above(hub: EventHub, count: int) -> None:
    """Wait until the in-process hub has more than ``count`` subscribers (the stream is live)."""

    async def more() -> bool:
        return hub.subscribers > count

    await eventually(more, FAST, "the subscription reached the hub")


async def create_booking(api: Api) -> dict[str, Any]:
    """A tour booking through the API: its global id and the sequence of its CREATED event."""
    payload = (await api.data(CREATE_TOUR, {"input": tour_input()}))["createTourBooking"]
    assert payload["errors"] == []
    booking = payload["booking"]
    return {"id": booking["id"], "sequence": booking["timeline"]["edges"][-1]["node"]["sequence"]}


async def event_owner(db: asyncpg.Connection, sequence: str) -> tuple[uuid.UUID, uuid.UUID]:
    """(tenant_id, booking_id) of the event with this sequence."""
    row = await db.fetchrow(
        "SELECT tenant_id, booking_id FROM booking_events WHERE sequence = $1", int(sequence)
    )
    assert row is not None
    return row["tenant_id"], row["booking_id"]


async def insert_events(
    connection: asyncpg.Connection,
    tenant_id: uuid.UUID,
    booking_id: uuid.UUID,
    *,
    actor: str,
    count: int = 1,
) -> list[uuid.UUID]:
    """Raw inserts in the connection's open transaction (sequence stays NULL until commit)."""
    ids = [uuid.uuid4() for _ in range(count)]
    await connection.executemany(
        "INSERT INTO booking_events (id, tenant_id, booking_id, type, actor, data)"
        " VALUES ($1, $2, $3, 'TEST_PROBE', $4, '{}'::jsonb)",
        [(event_id, tenant_id, booking_id, actor) for event_id in ids],
    )
    return ids


async def notify(connection: asyncpg.Connection, tenant_id: uuid.UUID) -> None:
    """What timeline.service.append does in the writer's transaction: wake at commit."""
    await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, str(tenant_id))


async def sequences(db: asyncpg.Connection, ids: list[uuid.UUID]) -> list[int]:
    """The committed sequences of these events, in the order of ``ids``."""
    rows = await db.fetch("SELECT id, sequence FROM booking_events WHERE id = ANY($1)", ids)
    found = {row["id"]: row["sequence"] for row in rows}
    return [found[event_id] for event_id in ids]


async def tenant_sequences_after(
    db: asyncpg.Connection, tenant_id: uuid.UUID, after: int
) -> list[int]:
    """The tenant's committed sequences after ``after``, in order: what a replay must give."""
    rows = await db.fetch(
        "SELECT sequence FROM booking_events WHERE tenant_id = $1 AND sequence > $2"
        " ORDER BY sequence",
        tenant_id,
        after,
    )
    return [row["sequence"] for row in rows]


@contextlib.asynccontextmanager
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    raw = await asyncpg.connect(asyncpg_dsn(normalize_url(database_url)))
    try:
        yield raw
    finally:
        await raw.close()


async def listener_count(db: asyncpg.Connection) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE application_name = $1 AND datname = current_database()",
        LISTENER_NAME,
    )


def listener_pid(hub: EventHub) -> int | None:
    """The backend pid of *this* hub's open LISTEN connection (other processes share the
    application_name, so it is read from the hub's listening task itself)."""
    task = hub._task
    frame = task.get_coro().cr_frame if task is not None and not task.done() else None  # type: ignore[union-attr]
    listening = frame.f_locals.get("connection") if frame is not None else None
    if listening is None or listening.is_closed():
        return None
    return listening.get_server_pid()


def token_for(tenant: str) -> str:
    return issue(
        secret=JWT_SECRET, tenant=tenant, role=Role.OPERATOR, sub="tester", ttl=timedelta(hours=1)
    )


@dataclass
class Served:
    """A `payable serve` process against the test database."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    async def exit_code(self, timeout: float) -> int | None:
        """The exit code, or None if still running after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.process.poll()


@contextlib.asynccontextmanager
async def payable_serve(database_url: str, log: Path) -> AsyncIterator[Served]:
    """`payable serve` on a free port; waits for /readyz; stopped (SIGTERM, then kill) after."""
    env = os.environ | {
        "DATABASE_URL": database_url,
        "PAYABLE_JWT_SECRET": JWT_SECRET,
        "PAYABLE_WORKERS_ENABLED": "false",  # keep background rounds off other tests' tenants
        "PAYABLE_ENV": "development",  # tenants pay through the sandbox
    }
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "payable", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    served = Served(process=process, port=port, log=log)
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    pytest.fail(f"payable serve exited early:\n{served.output()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{served.http}/readyz")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    pytest.fail(f"payable serve did not become ready:\n{served.output()}")
                await asyncio.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            if await served.exit_code(10) is None:
                process.kill()
                process.wait(timeout=5)


async def create_over_http(base: str, token: str) -> str:
    """A tour booking through a served process's HTTP API; its global id."""
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{base}/graphql",
            json={"query": CREATE_TOUR, "variables": {"input": tour_input()}},
            headers={"Authorization": f"Bearer {token}"},
        )
    payload = response.json()["data"]["createTourBooking"]
    assert payload["errors"] == []
    return payload["booking"]["id"]


@pytest.fixture
async def ws_url(app: Any) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


# --- 1. Out-of-order commits -------------------------------------------------------------------


async def test_replay_follows_commit_order_not_insert_order(
    api: Api, db: asyncpg.Connection, database_url: str, ws_url: str
) -> None:
    """Within a tenant the sequence follows commit order, so a replay after any received
    sequence never skips a transaction that began earlier but committed later."""
    # Given a booking, and two writers: A inserts first but B commits first
    booking = await create_booking(api)
    before = booking["sequence"]
    tenant_id, booking_id = await event_owner(db, before)
    async with connection(database_url) as writer_a, connection(database_url) as writer_b:
        transaction_a = writer_a.transaction()  # (closing the connection rolls it back)
        await transaction_a.start()
        [event_a] = await insert_events(writer_a, tenant_id, booking_id, actor="writer-a")
        await notify(writer_a, tenant_id)
        async with writer_b.transaction():
            [event_b] = await insert_events(writer_b, tenant_id, booking_id, actor="writer-b")
            await notify(writer_b, tenant_id)
        await transaction_a.commit()

    # Then B's sequence is lower: commit order
    sequence_a, sequence_b = await sequences(db, [event_a, event_b])
    assert sequence_b < sequence_a
    assert await tenant_sequences_after(db, tenant_id, int(before)) == [sequence_b, sequence_a]

    # When a subscriber replays after the sequence just before both
    async with client(ws_url, api.token) as session:
        async with subscribed(session, after=before) as feed:
            received = await feed.events(2)
            await feed.assert_quiet()
        # and another resumes after B
        async with subscribed(session, after=str(sequence_b)) as feed:
            resumed = await feed.event()
            await feed.assert_quiet()

    # Then it gets B then A, each once, in strictly increasing order; resuming after B gives A
    assert [(e["actor"], int(e["sequence"])) for e in received] == [
        ("writer-b", sequence_b),
        ("writer-a", sequence_a),
    ]
    assert {e["booking"]["id"] for e in received} == {booking["id"]}
    assert (resumed["actor"], int(resumed["sequence"])) == ("writer-a", sequence_a)


async def test_live_subscriber_gets_the_later_commit_after_the_earlier_one(
    api: Api, app: Any, db: asyncpg.Connection, database_url: str, ws_url: str
) -> None:
    """A live subscriber that already received a later-begun transaction's event still gets
    the event of a transaction that was open at the time, once it commits (never skipped)."""
    # Given a live subscriber
    booking = await create_booking(api)
    tenant_id, booking_id = await event_owner(db, booking["sequence"])
    hub: EventHub = app.state.hub
    async with (
        client(ws_url, api.token) as session,
        connection(database_url) as writer_a,
        connection(database_url) as writer_b,
    ):
        subscribers = hub.subscribers
        async with subscribed(session, after=booking["sequence"]) as feed:
            await live_subscribers_above(hub, subscribers)

            # When A inserts and stays open while B inserts and commits
            transaction_a = writer_a.transaction()  # (closing the connection rolls it back)
            await transaction_a.start()
            [event_a] = await insert_events(writer_a, tenant_id, booking_id, actor="writer-a")
            await notify(writer_a, tenant_id)
            async with writer_b.transaction():
                [event_b] = await insert_events(writer_b, tenant_id, booking_id, actor="writer-b")
                await notify(writer_b, tenant_id)

            # Then B arrives while A is still open, and nothing else does
            first = await feed.event()
            await feed.assert_quiet()

            # When A commits, then A arrives, with a later sequence than B
            await transaction_a.commit()
            second = await feed.event()
            await feed.assert_quiet()

    sequence_a, sequence_b = await sequences(db, [event_a, event_b])
    assert (first["actor"], int(first["sequence"])) == ("writer-b", sequence_b)
    assert (second["actor"], int(second["sequence"])) == ("writer-a", sequence_a)
    assert sequence_a > sequence_b


# --- 2. Two processes --------------------------------------------------------------------------


async def test_an_event_written_by_one_process_reaches_a_subscriber_of_another(
    db: asyncpg.Connection, database_url: str, tmp_path: Path
) -> None:
    """Notifications cross processes (PostgreSQL is the bus), and each process holds exactly
    one LISTEN connection however many subscribers it serves."""
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    token = token_for(tenant)
    listeners_before = await listener_count(db)

    # Given two `payable serve` processes on the same database
    async with (
        payable_serve(database_url, tmp_path / "one.log") as one,
        payable_serve(database_url, tmp_path / "two.log") as two,
    ):

        async def both_listening() -> bool:
            return await listener_count(db) == listeners_before + 2

        await eventually(both_listening, 10, "each process opened its LISTEN connection")

        # and three live subscribers on process 1 (each caught up on a first booking)
        first = await create_over_http(two.http, token)
        async with contextlib.AsyncExitStack() as stack:
            feeds: list[Feed] = []
            for _ in range(3):
                session = await stack.enter_async_context(client(one.ws, token))
                feeds.append(await stack.enter_async_context(subscribed(session, after="0")))
            for feed in feeds:
                assert (await feed.event(POLL_BACKSTOP))["booking"]["id"] == first

            # Then the processes still hold one LISTEN connection each
            assert await listener_count(db) == listeners_before + 2

            # When process 2 creates a booking
            started = time.monotonic()
            second = await create_over_http(two.http, token)

            # Then every subscriber on process 1 gets its CREATED event within seconds
            for feed in feeds:
                event = await feed.event(FAST)
                assert (event["booking"]["id"], event["type"]) == (second, "CREATED")
            assert time.monotonic() - started < FAST
            assert await listener_count(db) == listeners_before + 2

    async def listeners_gone() -> bool:
        return await listener_count(db) == listeners_before

    await eventually(listeners_gone, 10, "the processes' LISTEN connections closed")


# --- 3. Lost notifications: the listening connection drops ------------------------------------


async def test_an_event_committed_while_the_listener_is_down_still_arrives(
    api: Api, app: Any, db: asyncpg.Connection, ws_url: str
) -> None:
    """When the LISTEN connection is killed, the hub reconnects, re-LISTENs and wakes every
    subscriber, so an event whose notification was lost still arrives, well before the poll."""
    hub: EventHub = app.state.hub
    await asyncio.wait_for(hub.connected.wait(), FAST)
    old_pid = listener_pid(hub)
    assert old_pid is not None
    start = await create_booking(api)

    async with client(ws_url, api.token) as session:
        subscribers = hub.subscribers
        async with subscribed(session, after=start["sequence"]) as feed:
            await live_subscribers_above(hub, subscribers)

            # When this app's listening connection is terminated (only it: by pid, in this
            # database, under the listener's name), and a booking is created right away
            terminated = await db.fetchval(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1"
                " AND application_name = $2 AND datname = current_database()",
                old_pid,
                LISTENER_NAME,
            )
            assert terminated is True
            started = time.monotonic()
            lost = await create_booking(api)

            # Then the subscriber still receives it, faster than the slow poll would
            event = await feed.event(POLL_BACKSTOP)
            elapsed = time.monotonic() - started
            assert (event["booking"]["id"], event["type"]) == (lost["id"], "CREATED")
            assert elapsed < FAST, f"took {elapsed:.1f} s: only the poll delivered it"

            # And the hub is listening again, on a new connection
            async def reconnected() -> bool:
                pid = listener_pid(hub)
                return hub.connected.is_set() and pid is not None and pid != old_pid

            await eventually(reconnected, 10, "the hub re-LISTENed")
            new_pid = listener_pid(hub)
            assert (
                await db.fetchval(
                    "SELECT application_name FROM pg_stat_activity"
                    " WHERE pid = $1 AND datname = current_database()",
                    new_pid,
                )
                == LISTENER_NAME
            )

            # and notifications flow again through the new connection
            started = time.monotonic()
            after_reconnect = await create_booking(api)
            event = await feed.event(POLL_BACKSTOP)
            assert event["booking"]["id"] == after_reconnect["id"]
            assert time.monotonic() - started < FAST


# --- 4. Backpressure ---------------------------------------------------------------------------


async def test_a_subscriber_too_far_behind_is_ended_and_resumes_without_gap(
    api: Api,
    app: Any,
    db: asyncpg.Connection,
    ws_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A live subscriber that falls more than subscription_max_backlog behind is ended with
    SLOW_CONSUMER and the sequence to resume from; resuming there loses and repeats nothing."""
    settings = app.state.settings
    monkeypatch.setattr(settings, "subscription_batch", 10)
    monkeypatch.setattr(settings, "subscription_max_backlog", 30)
    booking = await create_booking(api)
    tenant_id, booking_id = await event_owner(db, booking["sequence"])

    async with client(ws_url, api.token) as session:
        # Given a subscriber that has caught up
        async with subscribed(session, after="0") as feed:
            assert (await feed.event())["sequence"] == booking["sequence"]

            # When 100 events are committed at once
            async with db.transaction():
                burst = await insert_events(db, tenant_id, booking_id, actor="bulk", count=100)
                await notify(db, tenant_id)

            # Then the stream ends with SLOW_CONSUMER, saying where to resume
            delivered = [booking["sequence"]]
            while isinstance(item := await feed.next(), dict):
                delivered.append(item["sequence"])
        assert isinstance(item, TransportQueryError), f"expected SLOW_CONSUMER, got {item!r}"
        assert item.errors is not None
        [error] = item.errors
        assert error["extensions"]["code"] == "SLOW_CONSUMER"
        resume = error["extensions"]["after"]
        assert resume == delivered[-1]  # the last event the client has

        # When it resubscribes from there (with the normal limits)
        monkeypatch.undo()
        expected = await tenant_sequences_after(db, tenant_id, int(resume))
        async with subscribed(session, after=resume) as feed:
            rest = await feed.events(len(expected))
            await feed.assert_quiet()

    # Then it gets exactly the events it had not received, in order
    assert [int(e["sequence"]) for e in rest] == expected
    burst_sequences = sorted(await sequences(db, burst))
    assert sorted([int(s) for s in delivered[1:]] + expected) == burst_sequences


async def test_other_tenants_events_do_not_count_as_backlog(
    api: Api,
    app: Any,
    db: asyncpg.Connection,
    ws_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A subscriber is ended only when *its* events pile up beyond the limit, not because
    other tenants wrote in between (the sequence is global)."""
    settings = app.state.settings
    monkeypatch.setattr(settings, "subscription_batch", 10)
    monkeypatch.setattr(settings, "subscription_max_backlog", 30)
    mine = await create_booking(api)
    theirs = await create_booking(api.for_tenant(api.tenant + "-noisy"))
    tenant_id, booking_id = await event_owner(db, mine["sequence"])
    other_tenant, other_booking = await event_owner(db, theirs["sequence"])

    async with client(ws_url, api.token) as session, subscribed(session, after="0") as feed:
        assert (await feed.event())["sequence"] == mine["sequence"]

        # When 10 of my events (below the limit of 30) commit with 100 of another tenant's
        # drawn in between them (one transaction, so the interleaving is deterministic)
        async with db.transaction():
            ids = await insert_events(db, tenant_id, booking_id, actor="me", count=5)
            await insert_events(db, other_tenant, other_booking, actor="them", count=100)
            ids += await insert_events(db, tenant_id, booking_id, actor="me", count=5)
            await notify(db, tenant_id)
        drawn = await sequences(db, ids)
        assert drawn[-1] - int(mine["sequence"]) > 30  # the premise: a wide global gap

        # Then I receive my 10 events: I am only 10 behind
        received = await feed.events(10)

    assert [int(e["sequence"]) for e in received] == sorted(drawn)


# --- 5. Clean shutdown -------------------------------------------------------------------------


async def test_sigterm_ends_open_subscriptions_and_exits_zero(
    database_url: str, tmp_path: Path
) -> None:
    """SIGTERM with a subscription open: the client sees its stream end (completed, or the
    socket closed) and the process exits 0 within 10 seconds."""
    token = token_for(f"t-{uuid.uuid4().hex[:12]}")
    async with payable_serve(database_url, tmp_path / "serve.log") as served:
        # Given an open, live subscription
        created = await create_over_http(served.http, token)
        async with client(served.ws, token) as session, subscribed(session, "0") as feed:
            assert (await feed.event(POLL_BACKSTOP))["booking"]["id"] == created

            # When the process gets SIGTERM
            started = time.monotonic()
            served.process.send_signal(signal.SIGTERM)

            # Then the stream ends: completed, or the socket closed with a close frame
            end = await feed.next(10)
            if end is not None:
                assert isinstance(end, TransportError), f"not an end: {end!r}"
                assert not isinstance(end, TransportQueryError), end.errors
                closed = end.__cause__ or end.__context__
                assert isinstance(closed, ConnectionClosed), repr(end)
                assert closed.rcvd is not None, "dropped without a close frame"

        # And the process exits with 0 within 10 s of the signal
        code = await served.exit_code(10 - (time.monotonic() - started))
        assert code == 0, f"exit code {code}:\n{served.output()}"


# --- 6. Tenant scoping -------------------------------------------------------------------------


async def test_a_subscriber_never_receives_another_tenants_events(api: Api, ws_url: str) -> None:
    """Replay from the beginning and the live stream carry only the caller's tenant."""
    tenant_b = api
    tenant_a = api.for_tenant(api.tenant + "-a")
    # Given one booking of each tenant
    a_first = await create_booking(tenant_a)
    b_first = await create_booking(tenant_b)

    async with client(ws_url, tenant_b.token) as session, subscribed(session, "0") as feed:
        # When B replays from the beginning, then A and B each create another booking live
        replayed = await feed.event()
        a_second = await create_booking(tenant_a)
        b_second = await create_booking(tenant_b)
        live = await feed.event()
        await feed.assert_quiet()

    # Then B got only its own two
    assert [replayed["booking"]["id"], live["booking"]["id"]] == [b_first["id"], b_second["id"]]
    # though A's events were committed in between (global sequence)
    assert int(a_first["sequence"]) < int(b_first["sequence"])
    assert int(b_first["sequence"]) < int(a_second["sequence"]) < int(b_second["sequence"])


# --- Resources held by a live subscription -----------------------------------------------------

STATUS_EVENTS = """subscription($after: String) {
  bookingEvents(after: $after) { sequence type booking { id status } } }"""

CANCEL = """mutation($input: CancelBookingInput!) {
  cancelBooking(input: $input) { errors { code message } booking { id status } } }"""

READ_SESSION_BUG = (
    "BUG: an event's `booking` resolves through the websocket Context's read_session and "
    "DataLoaders, which live as long as the socket: "
)


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Counts of checked-out connections that the garbage collector cannot blur: a session
    dropped without close() is only given back (terminated) when collected."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def idle_subscribers(
    stack: contextlib.AsyncExitStack, ws_url: str, token: str, count: int
) -> None:
    """``count`` websockets, each with a subscription that resolved `booking` and now waits."""
    for _ in range(count):
        session = await stack.enter_async_context(client(ws_url, token))
        feed = await stack.enter_async_context(subscribed(session, after="0"))
        await feed.event()
    await asyncio.sleep(QUIET)


async def test_an_idle_subscriber_holds_no_pooled_connection(
    api: Api, app: Any, ws_url: str
) -> None:
    """Waiting subscribers cost no database connection, so many of them cannot drain the pool
    that every HTTP request needs."""
    pool = app.state.db.engine.pool
    await create_booking(api)
    with no_gc():
        before = pool.checkedout()
        async with contextlib.AsyncExitStack() as stack:
            # Given three idle subscribers
            await idle_subscribers(stack, ws_url, api.token, 3)

            # Then none of them keeps a connection checked out of the pool
            held = pool.checkedout() - before
    assert held == 0, f"3 idle subscribers hold {held} pooled connections"


async def test_closing_a_subscribers_socket_gives_its_connection_back(
    api: Api, app: Any, ws_url: str
) -> None:
    """When subscribers disconnect, whatever they used goes back to the pool at once, not when
    the garbage collector finds it."""
    pool = app.state.db.engine.pool
    await create_booking(api)
    with no_gc():
        before = pool.checkedout()
        # Given three subscribers that disconnect
        async with contextlib.AsyncExitStack() as stack:
            await idle_subscribers(stack, ws_url, api.token, 3)
        await asyncio.sleep(QUIET)

        # Then the pool has every connection back
        leaked = pool.checkedout() - before
    gc.collect()  # let the leaked sessions go now, inside this test
    assert leaked == 0, f"{leaked} pooled connections still checked out after disconnecting"


async def test_each_event_shows_the_booking_as_it_is_now(api: Api, ws_url: str) -> None:
    """An event's `booking` is read when the event is sent, not from a cache that lives as
    long as the socket."""
    # Given a subscriber that received a booking's CREATED event
    booking = await create_booking(api)
    async with (
        client(ws_url, api.token) as session,
        subscribed(session, after="0", document=STATUS_EVENTS) as feed,
    ):
        created = await feed.event()
        # When the booking is cancelled
        cancelled = await api.data(
            CANCEL,
            {"input": {"bookingId": booking["id"], "reason": "test", "cause": "OPERATOR"}},
        )
        assert cancelled["cancelBooking"]["errors"] == []
        event = await feed.event()

    # Then the CANCELLED event shows the booking cancelled
    assert created["type"] == "CREATED"
    assert event["type"] == "CANCELLED"
    assert cancelled["cancelBooking"]["booking"]["status"] == "CANCELLED"
    assert event["booking"]["status"] == "CANCELLED"
