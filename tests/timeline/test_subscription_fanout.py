"""A live event is executed once per distinct (document, variables, role), whatever the number
of subscribers, and what each role may see still differs."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from gql import gql
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from payable.core.principal import Role
from tests.api import Api
from tests.timeline.live import client, serve
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

# `booking { schedule paymentRequests }` reads the database for each execution (loaders).
NESTED = """subscription { bookingEvents {
  type booking { id schedule { sequence amountDue { amount } } paymentRequests { id } } } }"""
STAFF_TEXT = """subscription { bookingEvents { type reason data } }"""
CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
  errors { code } } }"""
SECRET = "asthma, bring the inhaler"


@contextlib.asynccontextmanager
async def _subscribers(
    app: Any, url: str, apis: list[Api], document: str, count: int
) -> AsyncIterator[list[asyncio.Task[list[dict[str, Any]]]]]:
    """Each api subscribed (live, no `after`) and collecting ``count`` events."""
    async with contextlib.AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(client(url, a.token)) for a in apis]
        before = app.state.hub.subscribers

        async def collect(session: Any) -> list[dict[str, Any]]:
            received: list[dict[str, Any]] = []
            async with asyncio.timeout(10):
                async for result in session.subscribe(gql(document)):
                    received.append(result["bookingEvents"])
                    if len(received) == count:
                        return received
            return received

        tasks = [asyncio.create_task(collect(s)) for s in sessions]
        while app.state.hub.subscribers < before + len(apis):
            await asyncio.sleep(0.01)
        yield tasks


async def _statements_for_one_event(api: Api, app: Any, url: str, subscribers: int) -> int:
    async with _subscribers(app, url, [api] * subscribers, NESTED, 1) as tasks:
        with api.count_statements() as statements:
            created = await api.data(CREATE_TOUR, {"input": tour_input()})
            received = await asyncio.gather(*tasks)
    booking = created["createTourBooking"]["booking"]
    assert [[e["booking"]["id"] for e in events] for events in received] == [
        [booking["id"]]
    ] * subscribers
    assert all(events[0]["booking"]["schedule"][0]["sequence"] == 1 for events in received)
    return len(statements)


async def test_five_subscribers_cost_the_statements_of_one(api: Api, app: Any) -> None:
    async with serve(app) as url:
        one = await _statements_for_one_event(api, app, url, 1)
        five = await _statements_for_one_event(api, app, url, 5)

    print(f"statements for one event: 1 subscriber = {one}, 5 subscribers = {five}")
    assert five == one


async def test_shared_answers_still_hide_free_text_from_integrators(api: Api, app: Any) -> None:
    created = await api.data(CREATE_TOUR, {"input": tour_input()})
    booking_id = created["createTourBooking"]["booking"]["id"]
    roles = [Role.OPERATOR, Role.INTEGRATOR, Role.OPERATOR, Role.INTEGRATOR]

    async with (
        serve(app) as url,
        _subscribers(app, url, [api.as_role(r) for r in roles], STAFF_TEXT, 1) as tasks,
    ):
        cancel = {"bookingId": booking_id, "reason": SECRET, "cause": "CUSTOMER_REQUEST"}
        assert (await api.data(CANCEL, {"input": cancel}))["cancelBooking"]["errors"] == []
        received = [events[0] for events in await asyncio.gather(*tasks)]

    assert [(e["type"], e["reason"]) for e in received] == [
        ("CANCELLED", SECRET),
        ("CANCELLED", None),
        ("CANCELLED", SECRET),
        ("CANCELLED", None),
    ]
    assert all(SECRET not in e["data"] for e in received[1::2])


async def _payloads(url: str, api: Api, protocol: str, ready: asyncio.Event) -> dict[str, Any]:
    """The payload of the first event message, exactly as the server sent it (`ready` is set
    once subscribed)."""
    start, event = ("connection_init", "subscribe"), "next"
    if protocol == "graphql-ws":  # the legacy protocol: no lane, the ordinary way
        start, event = ("connection_init", "start"), "data"
    async with connect(url, subprotocols=[Subprotocol(protocol)]) as ws:
        init = {"type": start[0], "payload": {"Authorization": f"Bearer {api.token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "7", "type": start[1], "payload": {"query": STAFF_TEXT}}))
        ready.set()
        async with asyncio.timeout(10):
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == event:
                    assert message["id"] == "7"
                    return message["payload"]
    raise AssertionError("the socket closed before an event")


async def test_sharers_get_the_payload_the_ordinary_way_sends_and_roles_still_differ(
    api: Api, app: Any
) -> None:
    # Given two operators and an integrator on graphql-transport-ws (lanes), and an operator
    # on the legacy protocol, which executes and encodes every event itself
    created = await api.data(CREATE_TOUR, {"input": tour_input()})
    booking_id = created["createTourBooking"]["booking"]["id"]
    callers = [
        (api, "graphql-transport-ws"),
        (api, "graphql-transport-ws"),
        (api.as_role(Role.INTEGRATOR), "graphql-transport-ws"),
        (api, "graphql-ws"),
    ]
    async with serve(app) as url:
        before = app.state.hub.subscribers
        readies = [asyncio.Event() for _ in callers]
        tasks = [
            asyncio.create_task(_payloads(url, caller, protocol, ready))
            for (caller, protocol), ready in zip(callers, readies, strict=True)
        ]
        while app.state.hub.subscribers < before + len(callers):
            await asyncio.sleep(0.01)

        # When the booking is cancelled with free text only staff may read
        cancel = {"bookingId": booking_id, "reason": SECRET, "cause": "CUSTOMER_REQUEST"}
        assert (await api.data(CANCEL, {"input": cancel}))["cancelBooking"]["errors"] == []
        first, second, integrator, legacy = await asyncio.gather(*tasks)

    # Then the operators' payloads are what the ordinary way sends, extensions included
    assert first == second == legacy
    assert first["data"]["bookingEvents"]["reason"] == SECRET
    assert first["extensions"]["cost"]["requested"] == 1
    # and the integrator's, shared with nobody else, still hides the text
    assert integrator["data"]["bookingEvents"]["type"] == "CANCELLED"
    assert integrator["data"]["bookingEvents"]["reason"] is None
    assert SECRET not in json.dumps(integrator)
