"""bookingEvents over WebSocket with a real client (gql): replay, live, filters, tenancy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gql.transport.exceptions import TransportError
from websockets.exceptions import ConnectionClosed

from tests.api import Api
from tests.timeline.live import client, collect, serve
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
