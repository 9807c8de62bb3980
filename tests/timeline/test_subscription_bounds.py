"""bookingEvents' bounds: subscriptions per websocket, replayed events per token.

Real PostgreSQL, the real app served by uvicorn, a real client (gql over websockets).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from asgi_lifespan import LifespanManager
from gql.transport.exceptions import TransportQueryError

from payable.app import create_app
from payable.core.principal import Role
from payable.settings import Settings
from tests.api import Api
from tests.conftest import JWT_SECRET, SANDBOX_SECRET
from tests.timeline.live import client, serve
from tests.timeline.test_subscriptions_resilience import (
    FAST,
    QUIET,
    Feed,
    create_booking,
    event_owner,
    eventually,
    insert_events,
    live_subscribers_above,
    notify,
    subscribed,
    tenant_sequences_after,
)

PER_SOCKET = 20  # the default subscription_max_per_socket
BATCH = 10
BUDGET = 25  # replayed events per token per minute: two whole batches and part of a third


@pytest.fixture
async def ws_url(app: Any) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


@pytest.fixture
async def metered(database_url: str) -> AsyncIterator[tuple[str, Any]]:
    """An app of its own with rate limits on and a small replay budget, served: (url, app)."""
    settings = Settings(
        env="development",
        workers_enabled=False,
        sandbox_webhook_secrets=[SANDBOX_SECRET],
        rate_limit_enabled=True,
        subscription_batch=BATCH,
        subscription_replay_per_minute=BUDGET,
    )
    application = create_app(database_url=database_url, jwt_secret=JWT_SECRET, settings=settings)
    async with LifespanManager(application), serve(application) as url:
        yield url, application


def refusal(item: object) -> dict[str, Any]:
    """The one error that ended a stream."""
    assert isinstance(item, TransportQueryError), f"expected a refusal, got {item!r}"
    assert item.errors is not None
    [error] = item.errors
    return error


async def drain_events(feed: Feed) -> tuple[list[int], object]:
    """Every event until the stream ends: their sequences and what ended it."""
    delivered: list[int] = []
    while isinstance(item := await feed.next(), dict):
        delivered.append(int(item["sequence"]))
    return delivered, item


async def replay(url: str, token: str, *, after: str) -> tuple[list[int], object]:
    """A replay on a socket of its own until it ends: the sequences delivered, and what ended it."""
    async with client(url, token) as session, subscribed(session, after=after) as feed:
        return await drain_events(feed)


@pytest.mark.parametrize("legacy", [False, True], ids=["graphql-transport-ws", "graphql-ws"])
async def test_one_subscription_too_many_on_a_socket_is_refused_the_others_go_on(
    api: Api, app: Any, ws_url: str, legacy: bool
) -> None:
    hub = app.state.hub
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(client(ws_url, api.token, legacy=legacy))
        # Given a socket with as many subscriptions as it may hold, all live
        before = hub.subscribers
        feeds = [await stack.enter_async_context(subscribed(session)) for _ in range(PER_SOCKET)]
        await live_subscribers_above(hub, before + PER_SOCKET - 1)

        # When it opens one more, that one is refused
        async with subscribed(session) as extra:
            error = refusal(await extra.next())
        assert error["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS", "limit": PER_SOCKET}
        assert hub.subscribers == before + PER_SOCKET  # it never joined the feed

        # Then every one of the others still receives the next event, once
        booking = await create_booking(api)
        for feed in feeds:
            assert (await feed.event())["sequence"] == booking["sequence"]
        await asyncio.sleep(QUIET)
        assert all(feed.items.empty() for feed in feeds)

    # And on a socket, a subscription that ends gives its slot back: 20 are open again
    async with (
        client(ws_url, api.token, legacy=legacy) as session,
        contextlib.AsyncExitStack() as stack,
    ):
        before = hub.subscribers
        first = await stack.enter_async_context(subscribed(session))
        await live_subscribers_above(hub, before)
        async with subscribed(session):
            await live_subscribers_above(hub, before + 1)

        async def left() -> bool:
            return hub.subscribers == before + 1

        await eventually(left, FAST, "the ended subscription left the feed")
        await asyncio.sleep(0.2)  # and gave its slot back, right after
        rest = [await stack.enter_async_context(subscribed(session)) for _ in range(PER_SOCKET - 1)]
        await live_subscribers_above(hub, before + PER_SOCKET - 1)
        later = await create_booking(api)
        for feed in [first, *rest]:
            assert (await feed.event())["sequence"] == later["sequence"]


async def test_a_replay_over_the_tokens_budget_ends_with_where_to_resume(
    api: Api, db: asyncpg.Connection, metered: tuple[str, Any]
) -> None:
    metered_url, _ = metered
    # Given 40 events after a booking's creation (more than the budget of 25 a minute)
    booking = await create_booking(api)
    tenant_id, booking_id = await event_owner(db, booking["sequence"])
    async with db.transaction():
        await insert_events(db, tenant_id, booking_id, actor="bulk", count=40)
    expected = await tenant_sequences_after(db, tenant_id, int(booking["sequence"]))
    assert len(expected) == 40

    # When the token replays them, it gets exactly the budget, in order, then RATE_LIMITED
    # saying where to resume and when
    delivered, ended = await replay(metered_url, api.token, after=booking["sequence"])
    assert delivered == expected[:BUDGET]
    error = refusal(ended)
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["after"] == str(delivered[-1])
    assert 1 <= error["extensions"]["retryAfter"] <= 60

    # And the same token on another socket is refused at once, nothing delivered
    again, ended = await replay(metered_url, api.token, after=str(delivered[-1]))
    assert again == []
    error = refusal(ended)
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["after"] == str(delivered[-1])

    # While another user of the same tenant, resuming there, gets exactly the rest, then live
    other = api.as_role(Role.OPERATOR, sub="another-operator")
    async with (
        client(metered_url, other.token) as session,
        subscribed(session, after=str(delivered[-1])) as feed,
    ):
        rest = [int(e["sequence"]) for e in await feed.events(40 - BUDGET, timeout=FAST)]
        await feed.assert_quiet()
    assert rest == expected[BUDGET:]


async def test_live_events_are_not_metered(
    api: Api, db: asyncpg.Connection, metered: tuple[str, Any]
) -> None:
    """A live subscriber receives more events than the replay budget."""
    metered_url, application = metered
    hub = application.state.hub
    booking = await create_booking(api)
    tenant_id, booking_id = await event_owner(db, booking["sequence"])
    async with client(metered_url, api.token) as session:
        before = hub.subscribers
        async with subscribed(session, after=booking["sequence"]) as feed:
            await live_subscribers_above(hub, before)
            await asyncio.sleep(0.2)  # its replay (of nothing) is over: live
            async with db.transaction():
                await insert_events(db, tenant_id, booking_id, actor="bulk", count=BUDGET + 5)
                await notify(db, tenant_id)
            received = await feed.events(BUDGET + 5)
    expected = await tenant_sequences_after(db, tenant_id, int(booking["sequence"]))
    assert [int(e["sequence"]) for e in received] == expected
