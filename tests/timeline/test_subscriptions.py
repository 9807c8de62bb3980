"""bookingEvents over WebSocket with a real client (gql): replay, live, filters, tenancy."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gql.transport.exceptions import TransportError
from structlog.testing import capture_logs
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.api import Api
from tests.timeline.live import EVENTS, client, collect, serve
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input
from tests.verticals.course.factories import CREATE_COURSE, course_input
from tests.verticals.tour.factories import CREATE_TOUR, tour_input


@pytest.fixture
async def ws_url(app: Any) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


async def _create(
    api: Api, document: str = CREATE_TOUR, data: dict | None = None
) -> dict[str, Any]:
    payload = next(iter((await api.data(document, {"input": data or tour_input()})).values()))
    assert payload["errors"] == []
    return payload["booking"]


def _last_sequence(booking: dict[str, Any]) -> str:
    return booking["timeline"]["edges"][-1]["node"]["sequence"]


async def test_replay_after_a_sequence_then_live_without_gap_or_duplicate(
    api: Api, ws_url: str
) -> None:
    first = await _create(api)
    second = await _create(api)
    async with client(ws_url, api.token) as session:
        listening = asyncio.create_task(collect(session, 2, after=_last_sequence(first)))
        await asyncio.sleep(0.2)
        third = await _create(api)
        received = await listening

    assert [e["booking"]["id"] for e in received] == [second["id"], third["id"]]
    assert [e["type"] for e in received] == ["CREATED", "CREATED"]
    assert int(received[0]["sequence"]) < int(received[1]["sequence"])
    assert received[0]["actor"] == "tester"


async def test_without_after_the_stream_starts_live(api: Api, app: Any, ws_url: str) -> None:
    await _create(api)  # history the stream does not replay
    async with client(ws_url, api.token) as session:
        before = app.state.hub.subscribers
        listening = asyncio.create_task(collect(session, 1))
        while app.state.hub.subscribers == before:
            await asyncio.sleep(0.01)
        live = await _create(api)
        received = await listening

    assert [e["booking"]["id"] for e in received] == [live["id"]]


async def test_filters_by_booking_and_kind(api: Api, ws_url: str) -> None:
    start = await _create(api)
    after = _last_sequence(start)
    tour = await _create(api)
    clinic = await _create(api, CREATE_CLINIC, clinic_input())
    course = await _create(api, CREATE_COURSE, course_input())
    async with client(ws_url, api.token) as session:
        by_booking = await collect(session, 1, after=after, bookingId=clinic["id"])
        by_kind = await collect(session, 1, after=after, kind="COURSE_ENROLLMENT")
        tours = await collect(session, 1, after=after, kind="TOUR_BOOKING")

    assert [e["booking"]["id"] for e in by_booking] == [clinic["id"]]
    assert [e["booking"]["id"] for e in by_kind] == [course["id"]]
    assert [e["booking"]["id"] for e in tours] == [tour["id"]]


async def test_another_tenants_events_never_arrive(api: Api, ws_url: str) -> None:
    other = api.for_tenant(api.tenant + "-other")
    theirs = await _create(other)
    mine = await _create(api)
    async with client(ws_url, api.token) as session:
        received = await collect(session, 1, after="0")

    assert [e["booking"]["id"] for e in received] == [mine["id"]]
    assert theirs["id"] != mine["id"]


async def test_legacy_graphql_ws_protocol_works_too(api: Api, ws_url: str) -> None:
    first = await _create(api)
    second = await _create(api)
    async with client(ws_url, api.token, legacy=True) as session:
        received = await collect(session, 1, after=_last_sequence(first))

    assert [e["booking"]["id"] for e in received] == [second["id"]]


async def test_an_invalid_token_closes_the_socket_with_4403(ws_url: str) -> None:
    with pytest.raises(TransportError) as refused:
        async with client(ws_url, "not-a-token") as session:
            await collect(session, 1, timeout=5)
    closed = refused.value.__cause__ or refused.value.__context__
    assert isinstance(closed, ConnectionClosed)
    assert closed.rcvd is not None and closed.rcvd.code == 4403
    assert "invalid token" in closed.rcvd.reason


@contextlib.asynccontextmanager
async def _legacy_socket(url: str, token: str) -> AsyncIterator[Any]:
    """A raw socket speaking the legacy graphql-ws protocol, acknowledged."""
    async with connect(url, subprotocols=[Subprotocol("graphql-ws")]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        yield ws


async def _start(ws: Any, operation_id: str, query: str, **variables: Any) -> None:
    payload = {"query": query, "variables": variables}
    await ws.send(json.dumps({"type": "start", "id": operation_id, "payload": payload}))


async def _messages(ws: Any, operation_id: str, *, until: str = "complete") -> list[dict]:
    """One operation's messages on a legacy socket, up to the first of type ``until`` or an
    `error` (keep-alives and other operations' messages are skipped)."""
    received: list[dict] = []
    async with asyncio.timeout(10):
        async for raw in ws:
            message = json.loads(raw)
            if message.get("id") != operation_id:
                continue
            received.append(message)
            if message["type"] in (until, "error"):
                return received
    raise AssertionError(f"the socket closed during operation {operation_id}: {received}")


def _unhandled(logs: list[dict]) -> list[dict]:
    return [entry for entry in logs if entry["event"] == "unhandled error"]


async def test_a_query_over_the_legacy_protocol_is_answered_and_the_socket_goes_on(
    api: Api, ws_url: str
) -> None:
    # given: two bookings, and a legacy graphql-ws socket
    first = await _create(api)
    second = await _create(api)
    with capture_logs() as logs:
        async with _legacy_socket(ws_url, api.token) as ws:
            # when: a query is started on it
            await _start(ws, "1", "{ bookings(first: 2) { totalCount } }")
            answered = await _messages(ws, "1")
            # and: a subscription afterwards on the same socket
            await _start(ws, "2", EVENTS, after=_last_sequence(first))
            streamed = await _messages(ws, "2", until="data")
            await ws.send(json.dumps({"type": "stop", "id": "2"}))

    # then: one `data` message with the answer, then `complete`, as graphql-transport-ws does
    assert [m["type"] for m in answered] == ["data", "complete"]
    assert answered[0]["payload"]["data"] == {"bookings": {"totalCount": 2}}
    assert "errors" not in answered[0]["payload"]
    # and: the subscription still receives its events
    assert [m["type"] for m in streamed] == ["data"]
    assert streamed[0]["payload"]["data"]["bookingEvents"]["booking"]["id"] == second["id"]
    # and: nothing was logged as a bug
    assert _unhandled(logs) == []


async def test_a_mutation_over_the_legacy_protocol_is_answered_like_a_query(
    api: Api, ws_url: str
) -> None:
    # given: a legacy graphql-ws socket
    with capture_logs() as logs:
        async with _legacy_socket(ws_url, api.token) as ws:
            # when: a mutation is started on it
            await _start(ws, "1", CREATE_TOUR, input=tour_input())
            answered = await _messages(ws, "1")

    # then: one `data` message with the payload, then `complete`
    assert [m["type"] for m in answered] == ["data", "complete"]
    created = answered[0]["payload"]["data"]["createTourBooking"]
    assert created["errors"] == []
    # and: the booking is there for everyone else to read
    found = await api.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": created["booking"]["id"]}
    )
    assert found["node"] == {"id": created["booking"]["id"]}
    assert _unhandled(logs) == []


async def test_an_invalid_query_over_the_legacy_protocol_is_a_typed_error(
    api: Api, ws_url: str
) -> None:
    with capture_logs() as logs:
        async with _legacy_socket(ws_url, api.token) as ws:
            await _start(ws, "1", "{ bookings(first: 2) { noSuchField } }")
            refused = await _messages(ws, "1")

    # then: an `error` message for the operation, saying what is wrong; not a bug
    assert [m["type"] for m in refused] == ["error"]
    assert "noSuchField" in refused[0]["payload"]["message"]
    assert _unhandled(logs) == []
